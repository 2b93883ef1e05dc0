"""Line-echo server on CPython asyncio or uvloop, for weir's echo benchmark.

The idiomatic asyncio Streams loop: per line, ``reader.readline()`` then
``writer.write()`` then ``await writer.drain()``, until EOF.

    python3 bench/echo_server.py [--host 127.0.0.1] [--port 8888] [--loop asyncio|uvloop]

Prints ``Serving on HOST:PORT`` once listening (port 0 picks a free port).
uvloop comes from the venv that ``bench/setup.sh`` makes.
"""

import argparse
import asyncio
import sys


async def echo_lines(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(line)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        print(f"echo_server.py: connection error: {e!r}", file=sys.stderr)
    finally:
        writer.close()


async def main(host, port):
    server = await asyncio.start_server(echo_lines, host, port)
    sock = server.sockets[0].getsockname()
    print(f"Serving on {sock[0]}:{sock[1]}", flush=True)
    async with server:
        await server.serve_forever()


def run():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            sys.exit("echo_server.py: uvloop is not installed; run bench/setup.sh and use its venv")
        uvloop.run(main(args.host, args.port))
    else:
        asyncio.run(main(args.host, args.port))


if __name__ == "__main__":
    try:
        run()
    except KeyboardInterrupt:
        pass
