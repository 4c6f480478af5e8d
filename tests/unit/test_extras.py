import pytest

from tracking.extras import missing_extra


def chained(inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as error:
            raise RuntimeError("MLflow could not create the engine") from error
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(("module", "extra"), [
    ("psycopg", "postgresql"), ("psycopg2.extensions", "postgresql"), ("pymysql", "mysql"),
    ("connectorx", "mysql"), ("boto3", "s3")])
def test_a_missing_driver_names_its_extra_even_deep_in_a_chain(module: str, extra: str) -> None:
    said = missing_extra(chained(ModuleNotFoundError(f"No module named {module!r}",
                                                     name=module)), "writing to x")
    assert said == f"writing to x needs {module.split('.')[0]}: pip install 'lossboard[{extra}]'"


def test_anything_else_is_not_about_extras() -> None:
    assert missing_extra(chained(ValueError("bad")), "x") is None
    assert missing_extra(ModuleNotFoundError("No module named 'numpy'", name="numpy"), "x") is None
