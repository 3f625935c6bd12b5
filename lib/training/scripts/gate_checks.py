"""What the promotion gate judges: the candidate version, its metric, and the decision to promote."""

import logging
import math

from gate_config import HIGHER_IS_BETTER
from gate_errors import EXIT_ERROR, EXIT_PROMOTED, EXIT_REJECTED, GateError, MlflowApiError

log = logging.getLogger("promotion_gate")


def read_run_id(path):
    """The run id in ``path``, or None when the file is absent or empty."""
    try:
        with open(path, "r", encoding="utf-8") as fh:
            value = fh.read().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise GateError("cannot read run id file %s: %s" % (path, exc))
    return value or None


def version_number(mv):
    try:
        return int(str(mv.get("version")))
    except (TypeError, ValueError):
        raise MlflowApiError("model version has a non-numeric version %r" % mv.get("version"))


def select_candidate(versions, run_id=None):
    """Newest version (highest number), restricted to ``run_id`` when given."""
    pool = versions
    if run_id is not None:
        pool = [v for v in versions if v.get("run_id") == run_id]
    if not pool:
        return None
    return max(pool, key=version_number)


def extract_metric(run, key):
    """Value of metric ``key`` in a runs/get ``run``; latest step then timestamp wins."""
    metrics = ((run or {}).get("data") or {}).get("metrics") or []
    best = None
    best_order = None
    for m in metrics:
        if m.get("key") != key or "value" not in m:
            continue
        order = (_as_int(m.get("step")), _as_int(m.get("timestamp")))
        if best is None or order >= best_order:
            best, best_order = m, order
    if best is None:
        return None
    try:
        return float(best["value"])  # MLflow encodes NaN/Infinity as strings
    except (TypeError, ValueError):
        raise MlflowApiError("metric %s has a non-numeric value %r" % (key, best["value"]))


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def at_least_as_good(value, reference, direction):
    if direction == HIGHER_IS_BETTER:
        return value >= reference
    return value <= reference


def _fmt(x):
    return repr(float(x))


def _ops(direction):
    """(pass operator, fail operator) symbols for log lines."""
    return (">=", "<") if direction == HIGHER_IS_BETTER else ("<=", ">")


def run_gate(config, client, dry_run=False):
    """Evaluate the gate and promote; return an exit code."""
    name, metric, alias = config.model_name, config.metric, config.alias
    ok_op, bad_op = _ops(config.direction)

    run_id = read_run_id(config.run_id_file)
    versions = client.search_model_versions(name)
    if not versions:
        log.error("ERROR: no model versions found for registered model %r", name)
        return EXIT_ERROR
    candidate = select_candidate(versions, run_id)
    if candidate is None:
        log.error(
            "ERROR: no version of model %r was produced by run %s (from %s)",
            name, run_id, config.run_id_file,
        )
        return EXIT_ERROR
    cand_v = version_number(candidate)
    where = "model %s v%d" % (name, cand_v)
    log.info(
        "candidate: %s (run %s, selected by %s)",
        where, candidate.get("run_id"),
        "run id file" if run_id else "highest version",
    )
    if candidate.get("status") not in (None, "", "READY"):
        log.warning("candidate %s has status %s", where, candidate.get("status"))

    cand_run_id = candidate.get("run_id")
    if not cand_run_id:
        log.error("ERROR: %s has no run_id, so metric %s cannot be read", where, metric)
        return EXIT_ERROR
    value = extract_metric(client.get_run(cand_run_id), metric)
    if value is None:
        log.error("ERROR: run %s of %s has no metric %r", cand_run_id, where, metric)
        return EXIT_ERROR
    shown = "%s=%s" % (metric, _fmt(value))

    champion = client.get_model_version_by_alias(name, alias)
    champ_v = version_number(champion) if champion else None
    if champ_v == cand_v:
        log.info("PROMOTED: %s already holds alias '%s' (%s); nothing to do", where, alias, shown)
        return EXIT_PROMOTED

    if math.isnan(value):
        log.info("REJECTED: %s is NaN (%s)", shown, where)
        return EXIT_REJECTED
    if not at_least_as_good(value, config.threshold, config.direction):
        log.info("REJECTED: %s %s threshold %s (%s)", shown, bad_op, _fmt(config.threshold), where)
        return EXIT_REJECTED
    reasons = ["%s threshold %s" % (ok_op, _fmt(config.threshold))]

    if config.compare_to_champion and champion is not None:
        champ_run = champion.get("run_id")
        champ_value = None
        if champ_run:
            try:
                champ_value = extract_metric(client.get_run(champ_run), metric)
            except MlflowApiError as exc:
                if exc.error_code != "RESOURCE_DOES_NOT_EXIST" and exc.status != 404:
                    raise
                log.warning("champion run %s not found: %s", champ_run, exc)
        if champ_value is None or math.isnan(champ_value):
            log.warning(
                "champion v%d (run %s) has no usable metric %r; comparing to threshold only",
                champ_v, champ_run, metric,
            )
            reasons.append("champion v%d has no %s" % (champ_v, metric))
        elif not at_least_as_good(value, champ_value, config.direction):
            log.info(
                "REJECTED: %s %s champion %s (v%d) (%s)",
                shown, bad_op, _fmt(champ_value), champ_v, where,
            )
            return EXIT_REJECTED
        else:
            reasons.append("%s champion %s (v%d)" % (ok_op, _fmt(champ_value), champ_v))
    elif champion is not None:
        reasons.append("replacing v%d" % champ_v)

    verdict = "%s %s" % (shown, " and ".join(reasons))
    if dry_run:
        log.info("PROMOTED (dry run, alias not set): %s (%s -> alias '%s')", verdict, where, alias)
        return EXIT_PROMOTED
    client.set_alias(name, alias, cand_v)
    log.info("PROMOTED: %s (%s -> alias '%s')", verdict, where, alias)
    return EXIT_PROMOTED
