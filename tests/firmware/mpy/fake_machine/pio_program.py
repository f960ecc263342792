# One instruction of a PIO program as the fake rp2.asm_pio records it (fake_machine/rp2.py):
# its operation, operands and delay (the assembler's `instruction[delay]`).


class Instruction:
    def __init__(self, program, op, args):
        self.op = op
        self.args = args
        self.delay = 0
        program.append(self)

    def __getitem__(self, delay):
        self.delay = delay
        return self
