"""The browser UI: a Gradio chat over the engine (`qa serve`)."""
