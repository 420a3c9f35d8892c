"""`python -m qualcode`: the `qualcode` command, where no console script is on PATH."""

from qualcode.cli import app

if __name__ == "__main__":
    app(prog_name="qualcode")
