import { AnnotationQueryBuilder, RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';

/*
 * The canary judge on the model dashboard (for models with `canary.judge`): each promotion and
 * rollback as an annotation across every panel, the judge's outcome and the versions the
 * variants serve over time, and the evidence it decided on. Kept apart from dashboards.ts,
 * which calls this for judged models.
 */

const DATASOURCE = { type: 'prometheus', uid: 'prometheus' };

function query(expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).datasource(DATASOURCE).legendFormat(legend);
}

function panel(title: string, unit: string, queries: DataqueryBuilder[]): TimeseriesBuilder {
  return new TimeseriesBuilder().title(title).unit(unit).datasource(DATASOURCE).span(8).height(8).targets(queries);
}

/** Adds the canary judge's annotations and row to a model dashboard; `sel` picks the model's series. */
export function addCanaryJudge(d: DashboardBuilder, sel: string): DashboardBuilder {
  for (const [outcome, color, title] of [['promoted', 'green', 'challenger promoted'], ['rolled_back', 'red', 'challenger rolled back']] as const) {
    d.annotation(
      new AnnotationQueryBuilder()
        .name(`Canary ${title}`)
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor(color)
        .expr(`max by (model) (mlops_canary_outcome{${sel}, outcome="${outcome}"}) == 1`)
        .step('1m')
        .titleFormat(`Canary ${title}`)
        .textFormat(`model {{model}}`),
    );
  }
  return d
    .withRow(new RowBuilder('Canary judge'))
    .withPanel(panel('Judge outcome', 'none', [query(`max by (outcome) (mlops_canary_outcome{${sel}})`, '{{outcome}}')]))
    .withPanel(panel('Served version by variant', 'none', [
      query(`max by (variant) (mlops_served_model_version{${sel}})`, '{{variant}}'),
      query(`max(mlops_canary_challenger_version{${sel}})`, 'challenger'),
    ]))
    .withPanel(panel('Evidence: error ratio and p95 latency', 'short', [
      query(`max by (variant) (mlops_canary_error_ratio{${sel}})`, 'error ratio {{variant}}'),
      query(`max by (variant) (mlops_canary_latency_p95_seconds{${sel}})`, 'p95 s {{variant}}'),
    ]));
}
