"""A fitted model saved the classic MLflow way (a folder with an `MLmodel` file), as the list of
files a logger uploads: registrable from the dashboard's review panel, and sent or spooled like
any other artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODEL_DIR = "model"


def sklearn_model_files(model: Any, scratch: Path,
                        artifact_dir: str = MODEL_DIR) -> list[tuple[str, str]]:
    """Save `model` under `scratch`; (local file, artifact dir) for each file of the folder."""
    import mlflow.sklearn
    import sklearn
    import skops.io

    folder = scratch / artifact_dir
    # skops (no pickle) names the classes a loader must trust: those of scikit-learn's own
    # that make up this model (e.g. the MLP's optimizer), nothing else
    trusted = [t for t in skops.io.get_untrusted_types(data=skops.io.dumps(model))
               if t.startswith("sklearn.")]
    # named requirements: MLflow's inference imports the model in a subprocess (seconds a run)
    mlflow.sklearn.save_model(model, str(folder), skops_trusted_types=trusted,
                              pip_requirements=[f"scikit-learn=={sklearn.__version__}"])
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return [(str(p), _artifact_dir(artifact_dir, p.parent.relative_to(folder))) for p in files]


def _artifact_dir(root: str, relative: Path) -> str:
    return root if relative == Path(".") else f"{root}/{relative.as_posix()}"
