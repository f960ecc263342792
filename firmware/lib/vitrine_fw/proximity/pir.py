# The PIR motion sensor (an HC-SR501: its output pin is high while it signals motion, held
# for its delay after the last motion, then blocked for its lock time) as the board reads it:
#
#   WARMING --(warmup_ms after the task started: the module's own minute of initialising,
#              when its output "can and often will" give false detections)--> IDLE
#   IDLE <--(the pin's level)--> MOTION
#   MOTION --(high without a break for stuck_ms: longer than any motion keeps it)--> STUCK
#   STUCK --(the pin falls)--> IDLE
#
# update() reads the pin once and allocates nothing.


from vitrine_fw import wire


class Pir:
    """The PIR on `pin` (the seam's input pin); state is a wire.MOTION_* code."""

    def __init__(self, pin, clock, warmup_ms, stuck_ms):
        self.pin = pin
        self.clock = clock
        self.warmup_ms = warmup_ms
        self.stuck_ms = stuck_ms
        self.started_ms = clock.ticks_ms()
        self.high_since_ms = 0
        self.high = False
        self.state = wire.MOTION_WARMING if warmup_ms > 0 else wire.MOTION_IDLE
        self.changes = 0
        self.stuck_count = 0  # times it was found stuck since boot

    def update(self, now_ms):
        """Read the pin; True when the state changed."""
        level = self.pin.value()
        clock = self.clock
        if level and not self.high:
            self.high_since_ms = now_ms
        self.high = bool(level)
        state = self.state
        if state == wire.MOTION_WARMING:
            if clock.ticks_diff(now_ms, self.started_ms) < self.warmup_ms:
                return False
            new = wire.MOTION_DETECTED if self.high else wire.MOTION_IDLE
        elif not self.high:
            new = wire.MOTION_IDLE
        elif (
            state == wire.MOTION_STUCK
            or clock.ticks_diff(now_ms, self.high_since_ms) >= self.stuck_ms
        ):
            new = wire.MOTION_STUCK
        else:
            new = wire.MOTION_DETECTED
        if new == state:
            return False
        if new == wire.MOTION_STUCK:
            self.stuck_count += 1
        self.state = new
        self.changes += 1
        return True
