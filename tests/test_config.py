from pathlib import Path

import pytest

from callkit.config import Settings


def test_defaults_run_offline_with_an_embedded_database():
    s = Settings.from_env({})
    assert s.stt_model == "tiny.en"
    assert s.ice == "default"
    assert s.db_path.name == "callkit.duckdb"


def test_environment_overrides_are_parsed_by_type(tmp_path):
    s = Settings.from_env({"CALLKIT_DB_PATH": str(tmp_path / "x.duckdb"),
                           "CALLKIT_STT_THREADS": "1", "CALLKIT_ENDPOINT_SILENCE_S": "0.8",
                           "CALLKIT_ICE": "loopback"})
    assert s.db_path == tmp_path / "x.duckdb" and isinstance(s.db_path, Path)
    assert s.stt_threads == 1 and s.endpoint_silence_s == 0.8 and s.ice == "loopback"


@pytest.mark.parametrize("env, message", [
    ({"CALLKIT_STT_THREADS": "two"}, "CALLKIT_STT_THREADS"),
    ({"CALLKIT_STT_WORKERS": "0"}, "CALLKIT_STT_WORKERS"),
    ({"CALLKIT_ICE": "everywhere"}, "CALLKIT_ICE"),
    ({"CALLKIT_REPLAY_SPEED": "0"}, "CALLKIT_REPLAY_SPEED"),
    ({"CALLKIT_VAD_THRESHOLD": "1.5"}, "CALLKIT_VAD_THRESHOLD"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_every_setting_is_documented_in_the_readme():
    import dataclasses

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    missing = [f.name for f in dataclasses.fields(Settings)
               if f"`CALLKIT_{f.name.upper()}`" not in readme]
    assert missing == []


def test_the_speech_engine_is_chosen_in_config():
    assert Settings.from_env({}).stt_engine == "faster-whisper"
    with pytest.raises(ValueError, match="CALLKIT_STT_ENGINE must be one of faster-whisper"):
        Settings.from_env({"CALLKIT_STT_ENGINE": "deepgram"})
