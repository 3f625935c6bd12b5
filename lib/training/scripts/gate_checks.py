"""What the promotion gate judges: the candidate version, its metric, and the decision to promote."""

import logging
import math

from gate_config import HIGHER_IS_BETTER
from gate_drift import drift_blocks
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


def _not_ready(candidate, where):
    """Why the candidate's registration status forbids promotion, or None when it is READY."""
    status = candidate.get("status")
    if status == "READY":
        return None
    detail = candidate.get("status_message")
    detail = ": %s" % detail if detail else ""
    if status == "FAILED_REGISTRATION":
        return "%s registration failed (status FAILED_REGISTRATION%s); only a READY version may be promoted" % (where, detail)
    if status == "PENDING_REGISTRATION":
        return "%s is still registering (status PENDING_REGISTRATION%s); only a READY version may be promoted" % (where, detail)
    return "%s status %r is not READY%s; only a READY version may be promoted" % (where, status, detail)


def _non_finite(condition, value):
    shown = "%s=%s" % (condition.metric, _fmt(value))
    if math.isnan(value):
        return "%s is NaN" % shown
    if math.isinf(value):
        return "%s is infinite, not a finite number" % shown
    return None


def _judge(conditions, values):
    """(texts of the conditions that hold, texts of those that fail), in order."""
    held, failed = [], []
    for c in conditions:
        value = values[c.metric]
        ok_op, bad_op = _ops(c.direction)
        if at_least_as_good(value, c.threshold, c.direction):
            held.append("%s=%s %s threshold %s" % (c.metric, _fmt(value), ok_op, _fmt(c.threshold)))
        else:
            failed.append("%s=%s %s threshold %s" % (c.metric, _fmt(value), bad_op, _fmt(c.threshold)))
    return held, failed


def _champion_check(config, client, champion, value):
    """(reason text, rejection text or None) of the comparison of the primary metric with the champion's."""
    primary = config.conditions[0]
    ok_op, bad_op = _ops(primary.direction)
    champ_v = version_number(champion)
    champ_run = champion.get("run_id")
    champ_value = None
    if champ_run:
        try:
            champ_value = extract_metric(client.get_run(champ_run), primary.metric)
        except MlflowApiError as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST" and exc.status != 404:
                raise
            log.warning("champion run %s not found: %s", champ_run, exc)
    if champ_value is None or math.isnan(champ_value):
        log.warning("champion v%d (run %s) has no usable metric %r; comparing to threshold only", champ_v, champ_run, primary.metric)
        return "champion v%d has no %s" % (champ_v, primary.metric), None
    shown = "%s=%s" % (primary.metric, _fmt(value))
    if not at_least_as_good(value, champ_value, primary.direction):
        return None, "%s %s champion %s (v%d)" % (shown, bad_op, _fmt(champ_value), champ_v)
    return "%s champion %s (v%d)" % (ok_op, _fmt(champ_value), champ_v), None


def run_gate(config, client, dry_run=False):
    """Evaluate the gate and promote; return an exit code."""
    name, alias = config.model_name, config.alias
    primary = config.conditions[0]

    run_id = read_run_id(config.run_id_file)
    versions = client.search_model_versions(name)
    if not versions:
        log.error("ERROR: no model versions found for registered model %r", name)
        return EXIT_ERROR
    candidate = select_candidate(versions, run_id)
    if candidate is None:
        log.error("ERROR: no version of model %r was produced by run %s (from %s)", name, run_id, config.run_id_file)
        return EXIT_ERROR
    cand_v = version_number(candidate)
    where = "model %s v%d" % (name, cand_v)
    log.info("candidate: %s (run %s, selected by %s)", where, candidate.get("run_id"), "run id file" if run_id else "highest version")

    cand_run_id = candidate.get("run_id")
    if not cand_run_id:
        log.error("ERROR: %s has no run_id, so metric %s cannot be read", where, primary.metric)
        return EXIT_ERROR
    run = client.get_run(cand_run_id)
    values = {}
    for c in config.conditions:
        values[c.metric] = extract_metric(run, c.metric)
        if values[c.metric] is None:
            log.error("ERROR: run %s of %s has no metric %r", cand_run_id, where, c.metric)
            return EXIT_ERROR
    shown = "%s=%s" % (primary.metric, _fmt(values[primary.metric]))

    champion = client.get_model_version_by_alias(name, alias)
    champ_v = version_number(champion) if champion else None
    if champ_v == cand_v:
        log.info("PROMOTED: %s already holds alias '%s' (%s); nothing to do", where, alias, shown)
        return EXIT_PROMOTED

    not_ready = _not_ready(candidate, where)
    if not_ready:
        log.info("REJECTED: %s", not_ready)
        return EXIT_REJECTED
    for c in config.conditions:
        bad = _non_finite(c, values[c.metric])
        if bad:
            log.info("REJECTED: %s (%s)", bad, where)
            return EXIT_REJECTED
    held, failed = _judge(config.conditions, values)
    if failed:
        log.info("REJECTED: %s (%s)", "; ".join(failed), where)
        return EXIT_REJECTED

    # The primary condition's text keeps its historic form: "<metric>=<v> >= threshold <t> and ...".
    reasons = [held[0].split(" ", 1)[1]]
    if config.compare_to_champion and champion is not None:
        reason, rejection = _champion_check(config, client, champion, values[primary.metric])
        if rejection:
            log.info("REJECTED: %s (%s)", rejection, where)
            return EXIT_REJECTED
        reasons.append(reason)
    elif champion is not None:
        reasons.append("replacing v%d" % champ_v)

    if config.drift_block is not None:
        blocked = drift_blocks(config.drift_block, config.timeout)
        if blocked:
            log.info("REJECTED: %s; %s is not promoted", blocked, where)
            return EXIT_REJECTED

    verdict = "; ".join(["%s %s" % (shown, " and ".join(reasons))] + held[1:])
    if dry_run:
        log.info("PROMOTED (dry run, alias not set): %s (%s -> alias '%s')", verdict, where, alias)
        return EXIT_PROMOTED
    client.set_alias(name, alias, cand_v)
    log.info("PROMOTED: %s (%s -> alias '%s')", verdict, where, alias)
    return EXIT_PROMOTED
