"""Schemathesis hooks (SCHEMATHESIS_HOOKS=st_hooks): the e-mail intake takes a raw RFC 5322
message (`message/rfc822`), which schemathesis does not know how to send; send the generated
string as it is, like text/plain, so the intake is fuzzed too."""

import schemathesis

schemathesis.serializer.alias("message/rfc822", "text/plain")
