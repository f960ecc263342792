"""Vision: the camera's ONNX models; results reach the rest of the host as bus events."""
