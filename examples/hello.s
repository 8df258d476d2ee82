# hello.s: one classifier layer on the accelerator: 4*Tn inputs -> Tn outputs,
# bias from SB, ReLU. Assemble with `diannao asm examples/hello.s -o hello.bin`.
# DRAM layout (bytes): inputs at 0x1000, synapse rows then the bias row at
# 0x8000, outputs written to 0x20000. Syntax and fields: docs/isa.md.

nbin.load row=0 dram=0x1000 n0=4 ; sb.load row=0 dram=0x8000 n0=5   # 4 input rows; 4 synapse rows + 1 bias row
nfu.mac nbin=0 sb=0 nbout=0 ni=4 in=bias out=act act=relu           # Tn outputs: relu(W x + b)
nbout.storen row=0 dram=0x20000 n0=1 ; end                          # store the Tn 16-bit outputs, then stop
