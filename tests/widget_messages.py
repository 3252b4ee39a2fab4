"""Driving a widget's kernel side without a browser."""

import asyncio


def sent_by(widget) -> list[dict]:
    """What the widget sends to the browser, kept instead of sent."""
    sent = []
    widget.send = lambda content, buffers=None: sent.append(content)
    return sent


async def settle():
    """Let the loop run the tasks a message started."""
    for _ in range(20):
        await asyncio.sleep(0.01)
