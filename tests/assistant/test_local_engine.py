"""The local engine without its model (a clear alert, and the rules answer the turn), and
the guards on what a small model writes."""

import pytest

from callkit.assistant.memory import CallMemory
from callkit.assistant.model_output import Grounding, card_problem
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


GROUNDING = Grounding.of("customer: Hi, I'm Sarah Johnson, where is order 78901?\nFacts:\n"
                         "Customer: Sarah Johnson. Order #78901: Aurora ANC Wireless "
                         "Headphones, shipped via FedEx.")


@pytest.mark.parametrize("message, problem", [
    ("I'm sorry, Sarah. Your Aurora headphones, order #78901, shipped with FedEx.", None),
    ("Sarah's order shipped. Would you like the tracking link?", None),
    ("I'm sorry, Andre. Your bill", "the name 'Andre'"),
    ("I'm sorry, Sarah, but I can't help with that.", "a refusal"),
    ("The phone number on file is [phone].", "a redaction placeholder"),
    ("Your refund arrives within 30 days.", "the number 30"),
    ("It arrives Monday.", "the name 'Monday'"),
])
def test_a_small_models_card_is_cut_where_it_writes_what_it_was_not_told(message, problem):
    found = card_problem(message, GROUNDING, complete=True)
    assert (found is None) if problem is None else found.startswith(problem)


def test_a_word_or_number_still_streaming_is_not_judged_yet():
    assert card_problem("I'm sorry, Sar", GROUNDING, complete=False) is None
    assert card_problem("Your order 7890", GROUNDING, complete=False) is None
    assert card_problem("Your order 7890", GROUNDING, complete=True) is not None
