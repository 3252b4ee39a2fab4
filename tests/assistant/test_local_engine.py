"""The local engine without its model: a clear alert, and the rules answer the turn."""

from callkit.assistant.memory import CallMemory
from callkit.assistant.openai_engine import OpenAIEngine
from callkit.assistant.rules import RulesEngine, Suggestion
from callkit.assistant.tools import ToolRunner
from callkit.config import Settings
from callkit.llm import local_server
from callkit.llm.model_file import INSTALL_HINT
from callkit.packaged_files import ModelNotAvailable
from tests.conftest import SEED_DAY


async def test_a_missing_local_model_is_an_alert_naming_the_install(fixed_con, monkeypatch):
    def not_installed(settings, progress=False):
        raise ModelNotAvailable(INSTALL_HINT)

    monkeypatch.setattr(local_server, "shared_server", not_installed)

    async def run(fn, *args):
        return fn(fixed_con, *args)

    tools = ToolRunner(run, lambda *a: None, today=SEED_DAY)
    engine = OpenAIEngine(Settings(assistant_engine="local", assistant_mode="model"), tools,
                          RulesEngine(tools, today=SEED_DAY))
    memory = CallMemory()
    memory.add_turn("customer", "Where is my order?", 0.0)
    tip = Suggestion("suggestion", "normal", "order_status", "Ask for the order number.",
                     key="ask-order", confidence=1.0)
    alert, shown = [out async for out in engine.model_part(memory, [tip])]
    assert alert.kind == "alert" and "pip install '.[llm]'" in alert.text
    assert shown == tip
    await engine.aclose()
