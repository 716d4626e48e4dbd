"""aiosmtpd as the bridge tests' real SMTP server: AUTH (student/secret) and STARTTLS or implicit
TLS with the certificate the test generated. Prints READY, then one JSON line per message."""
import json
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        record = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": envelope.original_content.decode("latin-1")}
        print(json.dumps(record), flush=True)
        return "250 2.0.0 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"student" and auth_data.password == b"secret"
    return AuthResult(success=ok)


mode, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False)
if mode == "starttls":
    controller = Controller(Recorder(), tls_context=context, require_starttls=False, **common)
else:
    controller = Controller(Recorder(), ssl_context=context, **common)
controller.start()
print("READY", flush=True)
while True:
    time.sleep(3600)
