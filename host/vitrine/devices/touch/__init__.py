"""The touch frame on the host: frame millimetres to display pixels, pointer events, gestures
and an optional uinput multitouch device."""
