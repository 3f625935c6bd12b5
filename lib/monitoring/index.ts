export * from './monitoring';
export { ALERTS, DEFAULT_RUNBOOK_BASE_URL, buildRuleGroups, renderRuleFile, scrapeJobName } from './alert-rules';
export type { AlertRule, RuleGroup, RuleOptions, Severity } from './alert-rules';
export { buildAlertmanagerConfig, ALERTMANAGER_SECRETS_DIR } from './alertmanager-config';
export type { AlertingProps, ReceiverKind, SecretFileRef } from './alertmanager-config';
export { buildDashboards } from './dashboards';
export type { DashboardFile, DashboardGroup } from './dashboards';
export { buildScrapeConfigs, PUSHGATEWAY_JOB } from './scrape-configs';
