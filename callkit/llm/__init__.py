"""The local language model: a GGUF file assembled from PyPI packages (model_file.py) and
llama.cpp's OpenAI-compatible server running inside this process (local_server.py). The
assistant talks to it with the same engine that talks to OpenAI, Ollama or vLLM."""
