"""The torch-free runtime: config, OSC server, ONNX pipeline, synth, audio output."""
