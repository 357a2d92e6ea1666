"""A quick check of whether the Hugging Face Hub can be used right now."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

HUB_PROBE_TIMEOUT_S = 3.0
TRUE_VALUES = {"1", "true", "yes", "on"}


def hub_unreachable_reason(offline_variables: tuple[str, ...] = ("HF_HUB_OFFLINE",)) -> str | None:
    """Return why the Hub cannot be used (an offline variable is set, or no connection), else None.

    huggingface_hub and datasets retry for a long time before they give up on an
    unreachable Hub. A TCP connection with a short timeout decides within seconds.
    """
    for name in offline_variables:
        if os.environ.get(name, "").lower() in TRUE_VALUES:
            return f"{name} is set"
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname, port), timeout=HUB_PROBE_TIMEOUT_S):
            pass
    except OSError as error:
        return error.__class__.__name__
    return None
