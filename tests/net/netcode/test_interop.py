"""Interop with the reference C client and server over UDP on 127.0.0.1 (real sockets, a few
seconds of real time). Skipped unless the reference binaries were built by hand:
`python -m tools.netcode_conformance.interop build <checkout>` (see its README)."""

from __future__ import annotations

import pytest

from tools.netcode_conformance import interop

pytestmark = [
    pytest.mark.process,
    pytest.mark.skipif(
        not ((interop.BIN / "client").exists() and (interop.BIN / "server").exists()),
        reason=f"reference netcode binaries not built in {interop.BIN}",
    ),
]


def test_python_server_accepts_the_reference_client():
    result = interop.python_server_vs_reference_client("127.0.0.1", seconds=1.0)
    assert result.ok, result
    assert result.payloads_in > 10


def test_python_client_connects_to_the_reference_server():
    result = interop.python_client_vs_reference_server("127.0.0.1", seconds=1.0)
    assert result.ok, result
    assert result.payloads_in > 10
