"""A fixed, repeatable load for instruction counts: CONNS connections each send
LINES lines of LEN bytes (default 64) in bursts of BURST (one write), waiting
for each burst's replies before the next, so the server sees the same batches
on every run.

usage: burst_client.py PORT CONNS LINES BURST [LEN]
"""
import asyncio
import sys


async def one(port, lines, burst, length):
    line = b"x" * (length - 1) + b"\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    while done < lines:
        writer.write(line * burst)
        reply = await reader.readexactly(len(line) * burst)
        if reply != line * burst:
            raise SystemExit("burst_client: a reply differs from what was sent")
        done += burst
    writer.close()
    await writer.wait_closed()


async def main():
    port, conns, lines, burst = (int(a) for a in sys.argv[1:5])
    length = int(sys.argv[5]) if len(sys.argv) > 5 else 64
    await asyncio.gather(*(one(port, lines, burst, length) for _ in range(conns)))


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        raise SystemExit(__doc__)
    asyncio.run(main())
