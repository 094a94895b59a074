"""A throwaway SMTP server for infra/mail's tests: aiosmtpd on 127.0.0.1, on a free port.

    python smtp_sink.py DIR

Prints the port as the first line on stdout, then stores every message it accepts, exactly as it
arrived, as DIR/NNNN.eml, with the envelope (MAIL FROM, RCPT TO) in DIR/NNNN.envelope. Each file
is written under a hidden temporary name and renamed, so a reader never sees half a message.
Stops when stdin is closed (the test ended, however it ended) or when killed.

aiosmtpd's Controller is not used: it needs a known port to check that the server is up, while
binding port 0 through asyncio directly gives a free port without a race.
"""

import asyncio
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def _write(self, name, data):
        temp = os.path.join(self.directory, "." + name + ".tmp")
        with open(temp, "wb") as f:
            f.write(data)
        os.replace(temp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = f"{self.count:04}"
        lines = [f"MAIL FROM:<{envelope.mail_from}>"]
        lines += [f"RCPT TO:<{rcpt}>" for rcpt in envelope.rcpt_tos]
        self._write(stem + ".envelope", ("\n".join(lines) + "\n").encode())
        self._write(stem + ".eml", envelope.original_content)
        return "250 Message accepted for delivery"


async def main(directory):
    os.makedirs(directory, exist_ok=True)
    loop = asyncio.get_running_loop()
    sink = Sink(directory)
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="plinth-test-sink"), "127.0.0.1", 0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: smtp_sink.py DIR")
    asyncio.run(main(sys.argv[1]))
