"""The churn example's training program: a scikit-learn RandomForest on generated customer data.

Runs in the MLflow ``-full`` image (mlflow, scikit-learn, pandas, pyarrow are in it), mounted from
a ConfigMap by ``TrainingJob`` (``programFiles``) and started as ``python train_churn.py``. It

* generates a reproducible data set (``generate``: tenure, monthly charges, contract type, and a
  churn label that depends on them), split into training and validation parts;
* trains a RandomForestClassifier, logs its params, ``val_auc``/``val_accuracy`` and the model
  (with a signature and an input example) to MLflow, and registers it as ``$MLOPS_MODEL_NAME``;
* writes the run id to ``$MLOPS_RUN_ID_FILE``, so the promotion gate judges exactly this run;
* when ``CHURN_REFERENCE_URI`` is set, stores the training features as Parquet there: the drift
  monitor's reference (an artifact URI: a local path or ``s3://``; uploaded through MLflow's
  artifact repositories, so no other client library is needed).

Environment (besides MLflow's own ``MLFLOW_TRACKING_URI``, ``MLFLOW_EXPERIMENT_NAME``, credentials):
  MLOPS_MODEL_NAME       registered model name (required)
  MLOPS_RUN_ID_FILE      where to write the run id (optional)
  CHURN_ROWS             rows generated (default 5000)
  CHURN_SEED             random seed (default 7)
  CHURN_TENURE_SHIFT     months added to every customer's tenure (default 0): data that has drifted
  CHURN_N_ESTIMATORS     trees (default 100)
  CHURN_MAX_DEPTH        tree depth (default 8)
  CHURN_REFERENCE_URI    where to write the reference Parquet file (optional)

Exit codes: 0 trained and registered, 2 bad configuration; anything else is MLflow's or Python's.
"""

import os
import sys
import tempfile

FEATURES = ("tenure_months", "monthly_charges", "contract")
CONTRACTS = ("month-to-month", "one-year", "two-year")
CONTRACT_SHARES = (0.55, 0.25, 0.20)


def generate(rows, seed, tenure_shift=0.0):
    """Customers with a churn label: short tenure, high charges and monthly contracts churn more."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    tenure = np.clip(rng.gamma(2.0, 12.0, rows) + tenure_shift, 0, 120).round()
    charges = rng.normal(70, 25, rows).clip(18, 150).round(2)
    contract = rng.choice(CONTRACTS, rows, p=CONTRACT_SHARES)
    # Strong enough effects that the example's gate (val_auc >= 0.85) passes (~0.91), with a ~35 % churn rate.
    logit = 1.0 - 0.12 * tenure + 0.06 * (charges - 70) + np.where(contract == "month-to-month", 2.0, -1.5)
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({"tenure_months": tenure, "monthly_charges": charges, "contract": contract})
    return frame, churned.astype(int)


def build_model(n_estimators, max_depth, seed):
    """A pipeline that takes the raw features (contract one-hot encoded inside), so the served model
    accepts what clients send; standard scikit-learn parts only, so any MLflow serialization loads it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    columns = ColumnTransformer(
        [("contract", OneHotEncoder(categories=[list(CONTRACTS)], handle_unknown="ignore"), ["contract"])],
        remainder="passthrough",
    )
    forest = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=1)
    return Pipeline([("columns", columns), ("forest", forest)])


def _int(name, default, minimum):
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name}: got {raw!r}; must be an integer >= {minimum}") from None
    if value < minimum:
        raise SystemExit(f"{name}: got {value}; must be an integer >= {minimum}")
    return value


def _float(name, default):
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name}: got {raw!r}; must be a number") from None


def write_reference(frame, uri):
    """The training features as Parquet at ``uri`` (the drift monitor reads them)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    directory, name = uri.rstrip("/").rsplit("/", 1)
    with tempfile.TemporaryDirectory(prefix="churn-reference-") as tmp:
        local = os.path.join(tmp, name)
        frame.to_parquet(local, index=False)
        get_artifact_repository(directory).log_artifact(local)


def main():
    model_name = os.environ.get("MLOPS_MODEL_NAME", "")
    if not model_name:
        print("MLOPS_MODEL_NAME is not set: name the registered model to train", file=sys.stderr)
        return 2
    try:
        rows = _int("CHURN_ROWS", 5000, 200)
        seed = _int("CHURN_SEED", 7, 0)
        n_estimators = _int("CHURN_N_ESTIMATORS", 100, 1)
        max_depth = _int("CHURN_MAX_DEPTH", 8, 1)
        shift = _float("CHURN_TENURE_SHIFT", 0.0)
    except SystemExit as err:
        print(err, file=sys.stderr)
        return 2

    import mlflow
    from mlflow.models import infer_signature
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    frame, label = generate(rows, seed, shift)
    x_train, x_val, y_train, y_val = train_test_split(frame, label, test_size=0.25, random_state=seed, stratify=label)
    model = build_model(n_estimators, max_depth, seed)

    with mlflow.start_run() as run:
        mlflow.log_params({"rows": rows, "seed": seed, "tenure_shift": shift, "n_estimators": n_estimators, "max_depth": max_depth})
        model.fit(x_train, y_train)
        scores = model.predict_proba(x_val)[:, 1]
        metrics = {"val_auc": float(roc_auc_score(y_val, scores)), "val_accuracy": float(accuracy_score(y_val, scores >= 0.5))}
        mlflow.log_metrics(metrics)
        example = x_train.head(5)
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=model_name,
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            # MLflow >= 3.x saves scikit-learn models with skops, which loads only types it is told to
            # trust; the forest's tree storage is one (we built it here, so we trust it).
            skops_trusted_types=["sklearn.tree._tree.Tree"],
        )
        run_id = run.info.run_id
    reference = os.environ.get("CHURN_REFERENCE_URI")
    if reference:
        write_reference(x_train, reference)
    run_id_file = os.environ.get("MLOPS_RUN_ID_FILE")
    if run_id_file:
        with open(run_id_file, "w", encoding="utf-8") as out:
            out.write(run_id)
    print(f"trained {model_name}: run {run_id}, " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
