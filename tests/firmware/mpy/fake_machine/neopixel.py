# A fake `neopixel` module for the HAL tests under MicroPython: MicroPython's own driver
# (micropython-lib's neopixel.py: ORDER, bpp, the buffer in the strip's byte order) with write()
# recording the buffer instead of clocking it out through machine.bitstream.

import machine


class NeoPixel:
    # G R B W: value i of a pixel (r, g, b, w) goes to byte ORDER[i] of the pixel
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self.buf = bytearray(n * bpp)
        self.pin.init(pin.OUT)
        self.written = []  # the buffer at every write()
        machine.built.append(self)

    def __len__(self):
        return self.n

    def __setitem__(self, index, v):
        offset = index * self.bpp
        for i in range(self.bpp):
            self.buf[offset + self.ORDER[i]] = v[i]

    def __getitem__(self, index):
        offset = index * self.bpp
        return tuple(self.buf[offset + self.ORDER[i]] for i in range(self.bpp))

    def fill(self, v):
        b = self.buf
        n = len(self.buf)
        bpp = self.bpp
        for i in range(bpp):
            c = v[i]
            j = self.ORDER[i]
            while j < n:
                b[j] = c
                j += bpp

    def write(self):
        self.written.append(bytes(self.buf))
