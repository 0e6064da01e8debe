"""How the wheel is laid out; everything else about the package is in pyproject.toml.

An installed Intake must migrate its database, so the wheel carries the migrations: the
repository's top-level ``migrations/`` becomes the package ``intake.migrations`` and
``alembic.ini`` becomes ``intake/alembic.ini``, the same two names side by side as at the
top of the repository (``intake.db.migrate`` looks for them in the package first, then in
the checkout). pyproject.toml alone cannot say this: its ``packages.find`` only finds
packages where they lie, and package data only inside a package's own folder. Namespace
packages are found too, so ``intake/pages/templates`` and ``static`` are packages whose files
pyproject.toml's ``package-data`` lists.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py


class BuildWithAlembicIni(build_py):
    """Copies ``alembic.ini`` into the built package, beside its ``migrations``. An editable
    install reads both from the checkout, so it needs no copy."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            self.copy_file("alembic.ini", str(Path(self.build_lib, "intake", "alembic.ini")))


setup(
    packages=[
        *find_namespace_packages(include=["intake", "intake.*"]),
        "intake.migrations",
        "intake.migrations.versions",
    ],
    package_dir={"intake.migrations": "migrations"},
    cmdclass={"build_py": BuildWithAlembicIni},
)
