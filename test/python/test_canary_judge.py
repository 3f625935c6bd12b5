"""Tests for lib/serving/scripts/canary_judge.py: its configuration, the decision rule on
measured evidence (promote, roll back, wait), and a run's alias moves and scaling.

The decision tests call `decide` with evidence as Prometheus would return it. The run tests
(`judge`) give it in-memory stand-ins for the MLflow registry, Prometheus and the Kubernetes scale
API, because rollbacks need a canary that measurably fails, which test/loop/churn-loop.test.ts
cannot produce on loopback; that test runs the promotion against the real servers."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("canary_judge", ROOT / "lib" / "serving" / "scripts" / "canary_judge.py")
judge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(judge)

ENV = {
    "MLFLOW_TRACKING_URI": "http://mlflow:5000",
    "JUDGE_REGISTERED_MODEL": "churn",
    "JUDGE_PROMETHEUS_URL": "http://prometheus:9090",
    "JUDGE_NAMESPACE": "mlops",
    "JUDGE_MODEL": "churn",
    "JUDGE_CANARY_DEPLOYMENT": "churn-canary",
    "JUDGE_K8S_API": "http://127.0.0.1:1",
}
CFG = judge.config(ENV)


def evidence(canary=(1000, 0.0, 0.1), stable=(9000, 0.0, 0.1), served=(7.0, 7.0)):
    def variant(v):
        n, err, p95 = v
        return {"requests": n, "error_ratio": err if n else None, "p95": p95}

    return {"canary": variant(canary), "stable": variant(stable), "served": served}


def test_config_names_the_missing_or_bad_variable():
    for name in ("MLFLOW_TRACKING_URI", "JUDGE_REGISTERED_MODEL", "JUDGE_PROMETHEUS_URL", "JUDGE_CANARY_DEPLOYMENT"):
        env = {k: v for k, v in ENV.items() if k != name}
        with pytest.raises(judge.JudgeError, match=name) as err:
            judge.config(env)
        assert err.value.code == judge.EXIT_CONFIG
    with pytest.raises(judge.JudgeError, match=r"JUDGE_WINDOW: got '1 hour'"):
        judge.config({**ENV, "JUDGE_WINDOW": "1 hour"})
    with pytest.raises(judge.JudgeError, match=r"JUDGE_MIN_REQUESTS: got 'nan'"):
        judge.config({**ENV, "JUDGE_MIN_REQUESTS": "nan"})
    assert judge.main({k: v for k, v in ENV.items() if k != "JUDGE_MODEL"}) == judge.EXIT_CONFIG


def test_promotes_a_canary_as_good_as_stable():
    outcome, reason = judge.decide(CFG, "7", evidence(canary=(1000, 0.004, 0.11), stable=(9000, 0.002, 0.1)))
    assert outcome == "promoted", reason
    assert "1000 requests" in reason


@pytest.mark.parametrize(
    "canary, stable, why",
    [
        ((1000, 0.02, 0.1), (9000, 0.0, 0.1), "error ratio 0.0200 > objective 0.01"),
        ((1000, 0.008, 0.1), (9000, 0.001, 0.1), "error ratio 0.0080 > stable 0.0010 + 0.005"),
        ((1000, 0.0, 0.6), (9000, 0.0, 0.55), "p95 latency 0.600s > objective 0.5s"),
        ((1000, 0.0, 0.3), (9000, 0.0, 0.2), "p95 latency 0.300s > stable 0.200s x 1.2"),
    ],
)
def test_rolls_back_on_errors_or_latency(canary, stable, why):
    outcome, reason = judge.decide(CFG, "7", evidence(canary=canary, stable=stable))
    assert outcome == "rolled_back"
    assert why in reason


def test_waits_for_enough_requests_and_for_a_whole_window_of_the_challenger():
    assert judge.decide(CFG, "7", evidence(canary=(99, 0.5, 3.0)))[0] == "waiting"
    outcome, reason = judge.decide(CFG, "7", evidence(served=(6.0, 7.0)))
    assert outcome == "waiting" and "has not served only version 7" in reason
    assert judge.decide(CFG, "7", evidence(served=(None, None)))[0] == "waiting"


def test_a_quiet_stable_variant_leaves_only_the_objectives():
    # The stable variant had 10 requests: its 0 % errors and 0.01 s p95 are no basis for comparison.
    outcome, reason = judge.decide(CFG, "7", evidence(canary=(500, 0.004, 0.3), stable=(10, 0.0, 0.01)))
    assert outcome == "promoted"
    assert "objectives (stable had fewer than 100 requests)" in reason


class Registry:
    def __init__(self, **aliases):
        self.aliases = dict(aliases)

    def alias(self, name):
        return self.aliases.get(name)

    def set_alias(self, name, version):
        self.aliases[name] = version

    def delete_alias(self, name):
        self.aliases.pop(name, None)


class Prometheus:
    def __init__(self, ev):
        self.ev = ev


class Kube:
    def __init__(self, replicas):
        self.current, self.patches = replicas, []

    def replicas(self):
        return self.current

    def scale(self, n):
        self.current = n
        self.patches.append(n)


def run(registry, kube, ev, monkeypatch):
    monkeypatch.setattr(judge, "evidence", lambda cfg, prom: ev)
    return judge.judge(CFG, registry, Prometheus(ev), kube, 1000.0)


def outcome_samples(samples):
    return {labels["outcome"]: value for name, labels, value in samples if name == "mlops_canary_outcome"}


def test_rollback_removes_the_challenger_and_scales_the_canary_to_zero(monkeypatch):
    reg, kube = Registry(champion="6", challenger="7"), Kube(2)
    outcome, reason, samples = run(reg, kube, evidence(canary=(1000, 0.05, 0.1)), monkeypatch)
    assert outcome == "rolled_back"
    assert reg.aliases == {"champion": "6"}
    assert kube.patches == [0]
    assert outcome_samples(samples) == {"promoted": 0, "rolled_back": 1, "waiting": 0, "idle": 0}
    assert ("mlops_canary_error_ratio", {"variant": "canary"}, 0.05) in samples


def test_promotion_moves_the_champion_and_scales_the_canary_to_zero(monkeypatch):
    reg, kube = Registry(champion="6", challenger="7"), Kube(1)
    outcome, _, samples = run(reg, kube, evidence(), monkeypatch)
    assert outcome == "promoted"
    assert reg.aliases == {"champion": "7"}
    assert kube.patches == [0]
    assert ("mlops_canary_challenger_version", {}, 7) in samples


def test_a_new_challenger_scales_the_canary_up_first(monkeypatch):
    reg, kube = Registry(champion="6", challenger="7"), Kube(0)
    outcome, reason, _ = run(reg, kube, evidence(canary=(0, 0, None)), monkeypatch)
    assert (outcome, kube.patches, reg.aliases) == ("waiting", [judge.config(ENV)["replicas"]], {"champion": "6", "challenger": "7"})


def test_no_challenger_is_idle_and_keeps_the_canary_at_zero(monkeypatch):
    reg, kube = Registry(champion="6"), Kube(1)
    outcome, _, _ = run(reg, kube, evidence(), monkeypatch)
    assert (outcome, kube.patches, reg.aliases) == ("idle", [0], {"champion": "6"})


def test_the_first_challenger_becomes_the_first_champion(monkeypatch):
    reg, kube = Registry(challenger="1"), Kube(0)
    outcome, reason, _ = run(reg, kube, evidence(), monkeypatch)
    assert outcome == "promoted" and "first @champion" in reason
    assert reg.aliases == {"champion": "1"}
    assert kube.patches == []
