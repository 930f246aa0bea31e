"""NAME_FILE variables: a secret read from a file, refused when ambiguous, unreadable or empty."""
from __future__ import annotations

import pytest

from config.secret_files import SecretFileError, read_secret_files


def test_the_file_s_content_becomes_the_variable(tmp_path):
    (tmp_path / "key").write_text("s3cret-value\n")
    environ = {"SECRET_KEY_FILE": str(tmp_path / "key")}
    read_secret_files(environ, names=["SECRET_KEY", "METRICS_TOKEN"])
    assert environ["SECRET_KEY"] == "s3cret-value"  # the trailing newline of `echo > file` is dropped
    assert "METRICS_TOKEN" not in environ


def test_both_the_variable_and_its_file_is_refused(tmp_path):
    (tmp_path / "key").write_text("from-file")
    environ = {"SECRET_KEY": "from-env", "SECRET_KEY_FILE": str(tmp_path / "key")}
    with pytest.raises(SecretFileError, match="both SECRET_KEY and SECRET_KEY_FILE"):
        read_secret_files(environ, names=["SECRET_KEY"])


def test_a_missing_file_names_the_variable(tmp_path):
    with pytest.raises(SecretFileError, match=r"DATABASE_URL_FILE=.*cannot be read"):
        read_secret_files({"DATABASE_URL_FILE": str(tmp_path / "absent")}, names=["DATABASE_URL"])


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "token").write_text("\n")
    with pytest.raises(SecretFileError, match="METRICS_TOKEN_FILE=.* is empty"):
        read_secret_files({"METRICS_TOKEN_FILE": str(tmp_path / "token")}, names=["METRICS_TOKEN"])
