"""Password hashing: Argon2id at OWASP's minimum configuration (Password Storage Cheat Sheet: 19 MiB of memory,
2 passes, 1 lane) rather than Django's default (100 MiB, 2 passes, 8 lanes).

Why: on a small server every log-in's hash is CPU the worklist and charts then lack. Django's default cost about
0.28 s of CPU per log-in on the 2-core reference machine, 33 ms with these (bench/README.md, "Load test");
50 people logging in at the start of a shift took the whole machine for seconds. Each guess at a stolen hash
still needs 19 MiB and two passes, and staff sign in with a second factor and are locked out after 5 failures
(docs/security.md). A stored hash made with other parameters is verified as it was made and re-hashed with these
at the person's next log-in (Django's must_update)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
