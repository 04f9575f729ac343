"""A mutation check you can rerun: plant one plausible bug at a time, check the named tests catch it.

    python -m tests.mutation.run            every mutant (about 10 minutes on 2 busy cores)
    python -m tests.mutation.run M4 M5      some of them
    python -m tests.mutation.run --list     what each mutant does and which tests must kill it

Not collected by pytest and not part of CI: it runs pytest once per mutant, in a copy of the
repository. tests/test_mutants.py (in the default suite) only checks that every mutant still
applies to the current code, so a refactoring that moves the code fails loudly there.
"""
