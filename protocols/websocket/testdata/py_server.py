# Python websockets echo server for the interop test: prints its port,
# echoes every message, answers "close-me" with close 4002.
import asyncio, sys
import websockets

async def echo(ws, path=None):
    async for msg in ws:
        if msg == 'close-me':
            await ws.close(4002, 'peer server bye')
            return
        if msg == 'frag-me':
            await ws.send(iter(['fr', 'ag', 'ged']))
            continue
        await ws.send(msg)

async def main():
    deflate = len(sys.argv) > 1 and sys.argv[1] == 'deflate'
    async with websockets.serve(echo, '127.0.0.1', 0, max_size=4 << 20,
                                compression='deflate' if deflate else None) as srv:
        port = srv.sockets[0].getsockname()[1]
        print(port, flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
