# The last log lines, kept in RAM so that a technician's console can show them (`log`) even
# when the host was not listening when they were written.
#
# A fixed number of slots in parallel lists, allocated once: adding a line stores references
# to the caller's strings and an integer, and allocates nothing of its own. The oldest line is
# overwritten when the ring is full; `dropped` counts the lines lost that way.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


CAPACITY = const(32)  # lines kept


class LogRing:
    """The last CAPACITY log lines: uptime (ms), level, subsystem, text."""

    def __init__(self, capacity=CAPACITY):
        self.capacity = capacity
        self.t_ms = [0] * capacity
        self.level = bytearray(capacity)
        self.subsystem = [""] * capacity
        self.text = [""] * capacity
        self.next = 0  # the slot the next line goes into
        self.count = 0  # lines held (at most capacity)
        self.dropped = 0  # lines overwritten before anyone read them out

    def add(self, t_ms, level, subsystem, text):
        """Keep one line (level: a wire.LOG_* value, 0..255)."""
        i = self.next
        self.t_ms[i] = t_ms
        self.level[i] = level
        self.subsystem[i] = subsystem
        self.text[i] = text
        self.next = (i + 1) % self.capacity
        if self.count < self.capacity:
            self.count += 1
        else:
            self.dropped += 1

    def lines(self, min_level=0):
        """(t_ms, level, subsystem, text) of the lines at min_level or above, oldest first."""
        out = []
        start = (self.next - self.count) % self.capacity
        for k in range(self.count):
            i = (start + k) % self.capacity
            if self.level[i] >= min_level:
                out.append((self.t_ms[i], self.level[i], self.subsystem[i], self.text[i]))
        return out
