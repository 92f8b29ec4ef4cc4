"""Everything that talks to a language model: building chat models (chat), structured output
into pydantic models (structured), prompt files (prompts) and the prompted chain that the
extractor, the check's judge and the brief's writer are built on (chain).

The submodules import LangChain and openai only inside the functions that call a model, so
importing them keeps `synth --help` instant; this package file imports none of them.
"""
