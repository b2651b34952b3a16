# Python websockets client for the interop test: connects to argv[1],
# checks every reply byte for byte, prints OK.
import asyncio, sys
import websockets

async def main():
    deflate = len(sys.argv) > 2 and sys.argv[2] == 'deflate'
    mib = bytes((i * 31 + 7) & 0xff for i in range(1 << 20))
    async with websockets.connect(sys.argv[1], max_size=4 << 20,
                                  compression='deflate' if deflate else None) as ws:
        await ws.send('héllo wörld')
        assert await ws.recv() == 'héllo wörld'
        await ws.send(b'\x00\x01\x02\xff')
        assert await ws.recv() == b'\x00\x01\x02\xff'
        await ws.send(mib)
        assert await ws.recv() == mib
        await ws.send(iter(['frag-', 'ment']))  # a fragmented text message
        assert await ws.recv() == 'frag-ment'
        pong = await ws.ping(b'ping!')
        await asyncio.wait_for(pong, 10)
        await ws.close(4000, 'python done')
        assert ws.close_code == 4000, ws.close_code
    print('OK')

asyncio.run(asyncio.wait_for(main(), 15))
