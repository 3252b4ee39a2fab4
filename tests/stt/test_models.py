import hashlib

import pytest

from callkit.stt import models


def fake_parts(tmp_path, monkeypatch, payload=(b"first-half", b"second-half")):
    roots = {}
    for i, (name, data) in enumerate(zip(models.BASE_PARTS, payload), start=1):
        root = tmp_path / name
        (root / "data").mkdir(parents=True)
        (root / "data" / f"model.bin.part{i}").write_bytes(data)
        roots[name] = root
    for extra in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (roots[models.BASE_PARTS[0]] / "data" / extra).write_text("{}")
    monkeypatch.setattr(models, "package_dir", lambda name, hint: roots[name])
    monkeypatch.setattr(models, "BASE_SHA256", hashlib.sha256(b"".join(payload)).hexdigest())


def test_base_is_joined_once_and_checked(tmp_path, monkeypatch):
    fake_parts(tmp_path, monkeypatch)
    path = models.model_path("base", tmp_path / "cache")
    assert (path / "model.bin").read_bytes() == b"first-halfsecond-half"
    assert (path / "tokenizer.json").exists()
    mtime = (path / "model.bin").stat().st_mtime_ns
    assert models.model_path("base", tmp_path / "cache") == path
    assert (path / "model.bin").stat().st_mtime_ns == mtime  # cached, not rebuilt


def test_a_corrupted_cache_is_rebuilt(tmp_path, monkeypatch):
    fake_parts(tmp_path, monkeypatch)
    path = models.model_path("base", tmp_path / "cache")
    (path / "model.bin").write_bytes(b"garbage")
    models.model_path("base", tmp_path / "cache")
    assert (path / "model.bin").read_bytes() == b"first-halfsecond-half"


def test_parts_that_do_not_match_the_checksum_are_refused(tmp_path, monkeypatch):
    fake_parts(tmp_path, monkeypatch)
    monkeypatch.setattr(models, "BASE_SHA256", "0" * 64)
    with pytest.raises(models.ModelNotAvailable, match="checksum"):
        models.model_path("base", tmp_path / "cache")
    assert not list((tmp_path / "cache" / "whisper-base").glob("*.bin*"))  # no half model


def test_unknown_models_are_a_clear_error(tmp_path):
    with pytest.raises(models.ModelNotAvailable, match="tiny.en, base"):
        models.model_path("huge", tmp_path)
