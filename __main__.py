"""Entry point of `pulumi up`: the whole monitoring stack of one environment."""

import pulumi

from components import program

program.stop_quietly_when_interrupted()
for name, value in program.main().items():
    pulumi.export(name, value)
