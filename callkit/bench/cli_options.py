"""Defaults and options the measuring commands (``callkit eval``, ``callkit bench``) share."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Settings


def _shared_data(name: str) -> Path:
    """../shared/data/<name> beside the current folder, else beside the project (the first
    that exists; the first if neither does, so the error names where it looked)."""
    cwd = Path.cwd().parent / "shared" / "data" / name
    here = Path(__file__).resolve().parents[3] / "shared" / "data" / name
    return next((p for p in (cwd, here) if p.is_dir()), cwd)


def default_speech_dir() -> Path:
    return _shared_data("speech")


def default_calls_dir() -> Path:
    return _shared_data("calls")


def stt_settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if args.model:
        settings = settings.replace(stt_model=args.model)
    if args.beam_size:
        settings = settings.replace(stt_beam_size=args.beam_size)
    settings.validate()
    return settings


def add_stt_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="speech model (tiny.en, base, or a folder)")
    p.add_argument("--beam-size", type=int, help="whisper beam size")
    p.add_argument("--json", help="also write the figures to this JSON file")


def add_channel_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channel", default="wide,phone", type=channels_of,
                   help="wide (the files as they are), phone (a telephone-channel copy made "
                        "with sox: 8 kHz, 300-3400 Hz, μ-law), or both (default wide,phone)")


def channels_of(text: str) -> tuple[str, ...]:
    from .stt_eval import CHANNELS

    channels = tuple(c.strip() for c in text.split(",") if c.strip())
    if not channels or any(c not in CHANNELS for c in channels):
        raise argparse.ArgumentTypeError(f"use {' and/or '.join(CHANNELS)}, comma-separated")
    return channels
