"""The fault proxy does what the checker's fault windows assume: a blackhole holds bytes and delivers
them on heal, a cut holds one direction only, a reset is seen as a reset, a delay delays."""
import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
from conftest import free_port  # noqa: E402

from proxy import FaultProxy  # noqa: E402


async def _echo(reader, writer):
    try:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _with_proxy(scenario):
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    proxy = FaultProxy("test", ("127.0.0.1", server.sockets[0].getsockname()[1]), free_port())
    await proxy.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        await scenario(proxy, reader, writer)
        writer.close()
    finally:
        await proxy.close()
        server.close()


async def _echoed(reader, writer, data, timeout=1.0):
    writer.write(data)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(data)), timeout)


async def _held_until_healed(proxy, reader, writer, data):
    """`data` gets no echo while the fault holds it, and arrives whole once the proxy heals."""
    with pytest.raises(asyncio.TimeoutError):
        await _echoed(reader, writer, data, timeout=0.5)
    proxy.heal()
    assert await asyncio.wait_for(reader.readexactly(len(data)), 2) == data


def test_a_blackhole_holds_bytes_and_delivers_them_in_order_on_heal():
    async def scenario(proxy, reader, writer):
        assert await _echoed(reader, writer, b"before") == b"before"
        proxy.blackhole()
        await _held_until_healed(proxy, reader, writer, b"held")
    asyncio.run(_with_proxy(scenario))


def test_a_cut_down_lets_requests_through_and_holds_the_replies():
    async def scenario(proxy, reader, writer):
        proxy.cut("down")
        await _held_until_healed(proxy, reader, writer, b"ping")
    asyncio.run(_with_proxy(scenario))


def test_a_reset_is_seen_as_a_reset_and_new_connections_pass():
    async def scenario(proxy, reader, writer):
        assert await _echoed(reader, writer, b"x") == b"x"
        proxy.reset()
        with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
            await _echoed(reader, writer, b"y")
        again_reader, again_writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await _echoed(again_reader, again_writer, b"z") == b"z"
        again_writer.close()
    asyncio.run(_with_proxy(scenario))


def test_a_delay_delays_each_direction():
    async def scenario(proxy, reader, writer):
        proxy.delay(0.3)
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await _echoed(reader, writer, b"slow", timeout=3) == b"slow"
        assert loop.time() - started >= 0.55
    asyncio.run(_with_proxy(scenario))


def test_a_blackholed_proxy_connects_new_links_only_on_heal():
    async def scenario(proxy, reader, writer):
        proxy.blackhole()
        late_reader, late_writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        with pytest.raises(asyncio.TimeoutError):
            await _echoed(late_reader, late_writer, b"wait", timeout=0.5)
        proxy.heal()
        assert await asyncio.wait_for(late_reader.readexactly(4), 2) == b"wait"
        late_writer.close()
    asyncio.run(_with_proxy(scenario))
