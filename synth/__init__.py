"""synth: the memory and analyst of a product team's cross-functional syncs.

Kept tiny so `synth --help` starts instantly; import `synth.app.Synth` for the library.
"""

__version__ = "0.2.0"
