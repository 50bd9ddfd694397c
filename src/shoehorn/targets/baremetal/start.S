/* The first instructions after reset: a stack, the floating-point and NEON unit switched on
 * (it is off at reset, and the first VFP instruction would fault), then C. */
  .syntax unified
  .arm
  .section .text.reset, "ax"
  .global shoehorn_reset
  .type shoehorn_reset, %function
shoehorn_reset:
  ldr sp, =__stack_top
  mrc p15, 0, r0, c1, c0, 2   /* CPACR: full access to coprocessors 10 and 11 */
  orr r0, r0, #(0xf << 20)
  mcr p15, 0, r0, c1, c0, 2
  isb
  mov r0, #0x40000000         /* FPEXC.EN */
  vmsr fpexc, r0
  blx board_start             /* Thumb C code: blx switches state */
1:
  b 1b
  .size shoehorn_reset, . - shoehorn_reset
