; The n-gram runtime on the 6502: the same integer arithmetic as src/shoehorn/ngram/generator.hpp,
; step for step, so the cartridge writes exactly the text `shoehorn ngram run` prints.
;
; The model's tables sit in PRG ROM from bank 0 on; a record is reached by switching its
; 16 KiB bank into $8000-$BFFF (UNROM). Everything that changes lives in zero page and BSS.
;
;   ngram_seed     rng holds a seed: make it a generator state (zero is replaced, 16 steps mix)
;   ngram_restart  empty context, then the model's start bytes
;   ngram_feed     A = byte: extend the context
;   ngram_next     sample a byte from the context, feed it, return it in A

.include "cart.inc"

.export ngram_seed, ngram_restart, ngram_feed, ngram_next
.export ngram_code_start, ngram_code_end
.exportzp rng

; The model (tables.s, generated from the model file).
.import level_base0, level_base1, level_base2, record_step
.import wrap_first, wrap0, wrap1, wrap2
.import start_bytes, qvalue_lo, qvalue_hi, bank_table

.segment "ZEROPAGE"
rng:        .res 4     ; xorshift32 state, little-endian
depth:      .res 1     ; length of the longest context
ptr:        .res 2     ; the selected record, in $8000-$BFFF
bank:       .res 1     ; the bank in $8000-$BFFF
index:      .res 3     ; a record's index in its level
offset:     .res 3     ; scratch: a record's byte offset in PRG
first:      .res 3     ; children of a node: first record in the next level...
count:      .res 2     ; ...and how many
saved:      .res 3
level:      .res 1     ; the context length being sampled
top:        .res 1     ; nonzero while sampling the longest context
full:       .res 1     ; nonzero when the context holds the whole alphabet
left:       .res 2     ; children left to walk
r:          .res 2     ; the draw, in [0, mass)
mass:       .res 2     ; S: 0 stands for 65536
q:          .res 2
sum_all:    .res 2
sum_out:    .res 2
symbol:     .res 1
byte:       .res 1     ; the byte being fed
length:     .res 1
new_depth:  .res 1
lo:         .res 2
hi:         .res 2
mid:        .res 2
product:    .res 4
factor:     .res 2
scratch:    .res 4
i:          .res 1

.segment "BSS"
; Children of the node for the last n bytes, n = 0 (the root) .. ORDER - 1.
ctx_first0: .res ORDER
ctx_first1: .res ORDER
ctx_first2: .res ORDER
ctx_count0: .res ORDER
ctx_count1: .res ORDER
shorter_first: .res 3
shorter_count: .res 2
excluded:   .res 32    ; one bit per byte value

.segment "CODE"
ngram_code_start:

; ---------------------------------------------------------------------------------------------
; Records

; X = level (1..ORDER), index = record: switch its bank in and point ptr at it. Keeps X.
select_record:
        lda index               ; offset = index * record size + level base
        asl a
        sta offset
        lda index+1
        rol a
        sta offset+1
        lda index+2
        rol a
        sta offset+2
        lda record_step,x       ; 4-byte records: one more doubling
        cmp #4
        bne @add_base
        asl offset
        rol offset+1
        rol offset+2
@add_base:
        clc
        lda offset
        adc level_base0,x
        sta ptr
        lda offset+1
        adc level_base1,x
        sta offset+1
        lda offset+2
        adc level_base2,x
        sta offset+2
        lda offset+1            ; bank = offset >> 14
        asl a
        rol offset+2
        asl a
        rol offset+2
        lda offset+1
        and #$3F
        ora #$80
        sta ptr+1
        lda offset+2
        sta bank
switch_bank:                    ; A = bank; the byte written equals the byte there (bus conflicts)
        tay
        sta bank_table,y
        rts

; X = level: move ptr to the next record of the level, into the next bank when this one ends.
next_record:
        clc
        lda ptr
        adc record_step,x
        sta ptr
        bcc @done
        inc ptr+1
        lda ptr+1
        cmp #$C0
        bne @done
        lda #$80
        sta ptr+1
        inc bank
        lda bank
        jmp switch_bank
@done:
        rts

; X = level (1..ORDER-1), index = node: first = its first child, the wraps restored. Keeps X.
first_child:
        jsr select_record
        ldy #2
        lda (ptr),y
        sta first
        iny
        lda (ptr),y
        sta first+1
        lda #0
        sta first+2
        ldy wrap_first,x        ; each wrap at or before this node adds 65536
@wrap:
        tya
        cmp wrap_first+1,x
        beq @done
        lda index
        cmp wrap0,y
        lda index+1
        sbc wrap1,y
        lda index+2
        sbc wrap2,y
        bcc @next
        inc first+2
@next:
        iny
        bne @wrap
@done:
        rts

; X = level (1..ORDER-1), index = node: first, count = its children. Changes index.
children:
        jsr first_child
        lda first
        sta saved
        lda first+1
        sta saved+1
        lda first+2
        sta saved+2
        inc index
        bne @end
        inc index+1
        bne @end
        inc index+2
@end:
        jsr first_child
        sec
        lda first
        sbc saved
        sta count
        lda first+1
        sbc saved+1
        sta count+1
        lda saved
        sta first
        lda saved+1
        sta first+1
        lda saved+2
        sta first+2
        rts

; ---------------------------------------------------------------------------------------------
; Arithmetic

; rng = xorshift32(rng): x ^= x << 13; x ^= x >> 17; x ^= x << 5.
rng_step:
        lda #0                  ; scratch = x << 8, then << 5 more
        sta scratch
        lda rng
        sta scratch+1
        lda rng+1
        sta scratch+2
        lda rng+2
        sta scratch+3
        ldx #5
@shift13:
        asl scratch+1
        rol scratch+2
        rol scratch+3
        dex
        bne @shift13
        lda rng+1
        eor scratch+1
        sta rng+1
        lda rng+2
        eor scratch+2
        sta rng+2
        lda rng+3
        eor scratch+3
        sta rng+3
        lda rng+3               ; x >> 17: the top half shifted right once
        lsr a
        sta scratch+1
        lda rng+2
        ror a
        eor rng
        sta rng
        lda scratch+1
        eor rng+1
        sta rng+1
        lda rng                 ; scratch = x << 5
        sta scratch
        lda rng+1
        sta scratch+1
        lda rng+2
        sta scratch+2
        lda rng+3
        sta scratch+3
        ldx #5
@shift5:
        asl scratch
        rol scratch+1
        rol scratch+2
        rol scratch+3
        dex
        bne @shift5
        ldx #3
@xor5:
        lda rng,x
        eor scratch,x
        sta rng,x
        dex
        bpl @xor5
        rts

; r = (rand16 * mass) >> 16, where rand16 is the low half of a fresh step and mass 0 is 65536.
draw:
        jsr rng_step
        lda mass
        ora mass+1
        bne @scale
        lda rng
        sta r
        lda rng+1
        sta r+1
        rts
@scale:
        lda rng                 ; product = factor * mass, shift-and-add
        sta factor
        lda rng+1
        sta factor+1
        lda #0
        sta product+2
        sta product+3
        ldx #16
@bit:
        lsr factor+1
        ror factor
        bcc @rotate
        lda product+2
        clc
        adc mass
        sta product+2
        lda product+3
        adc mass+1
@rotate:
        ror a
        sta product+3
        ror product+2
        ror product+1
        ror product
        dex
        bne @bit
        lda product+2
        sta r
        lda product+3
        sta r+1
        rts

; A = symbol: Y = its byte in `excluded`, A = its bit.
exclusion_bit:
        pha
        lsr a
        lsr a
        lsr a
        tay
        pla
        and #7
        tax
        lda bit_mask,x
        rts

bit_mask:
        .byte $01, $02, $04, $08, $10, $20, $40, $80

; A = symbol: Z clear when it is excluded.
is_excluded:
        jsr exclusion_bit
        and excluded,y
        rts

; A = symbol: exclude it.
exclude:
        jsr exclusion_bit
        ora excluded,y
        sta excluded,y
        rts

; A = code: q = qvalue[code].
load_q:
        tax
        lda qvalue_lo,x
        sta q
        lda qvalue_hi,x
        sta q+1
        rts

; ---------------------------------------------------------------------------------------------
; Context

; Carry set when `byte` is a child of the context (shorter_first, shorter_count) of `length`
; bytes; index = that child, in level length + 1.
find:
        lda #0
        sta lo
        sta lo+1
        lda shorter_count
        sta hi
        lda shorter_count+1
        sta hi+1
@search:
        lda lo                  ; while lo < hi
        cmp hi
        lda lo+1
        sbc hi+1
        bcs @missing
        clc                     ; mid = (lo + hi) >> 1
        lda lo
        adc hi
        sta mid
        lda lo+1
        adc hi+1
        ror a
        sta mid+1
        ror mid
        clc                     ; index = first + mid
        lda shorter_first
        adc mid
        sta index
        lda shorter_first+1
        adc mid+1
        sta index+1
        lda shorter_first+2
        adc #0
        sta index+2
        ldx length
        inx
        jsr select_record
        ldy #0
        lda (ptr),y
        cmp byte
        beq @found
        bcs @above
        clc                     ; symbol < byte: lo = mid + 1
        lda mid
        adc #1
        sta lo
        lda mid+1
        adc #0
        sta lo+1
        jmp @search
@above:
        lda mid                 ; symbol > byte: hi = mid
        sta hi
        lda mid+1
        sta hi+1
        jmp @search
@found:
        sec
        rts
@missing:
        clc
        rts

; A = byte: the node for the last n + 1 bytes is the child `byte` of the node for the last n
; bytes, for n = 0, 1, ... while it exists and has children, up to ORDER - 1 bytes.
ngram_feed:
        sta byte
        lda #0
        sta new_depth
        sta length
        lda ctx_first0          ; shorter = the root
        sta shorter_first
        lda ctx_first1
        sta shorter_first+1
        lda ctx_first2
        sta shorter_first+2
        lda ctx_count0
        sta shorter_count
        lda ctx_count1
        sta shorter_count+1
@extend:
        lda length              ; stop past min(depth, ORDER - 2)
        cmp #ORDER - 1
        bcs @done
        lda depth
        cmp length
        bcc @done
        jsr find
        bcc @done
        ldx length
        inx
        jsr children
        lda count
        ora count+1
        beq @done
        ldx length              ; shorter = old context; context = the child's children
        inx
        lda ctx_first0,x
        sta shorter_first
        lda first
        sta ctx_first0,x
        lda ctx_first1,x
        sta shorter_first+1
        lda first+1
        sta ctx_first1,x
        lda ctx_first2,x
        sta shorter_first+2
        lda first+2
        sta ctx_first2,x
        lda ctx_count0,x
        sta shorter_count
        lda count
        sta ctx_count0,x
        lda ctx_count1,x
        sta shorter_count+1
        lda count+1
        sta ctx_count1,x
        stx new_depth
        stx length
        jmp @extend
@done:
        lda new_depth
        sta depth
        rts

ngram_restart:
        lda #0
        sta depth
        sta ctx_first0
        sta ctx_first1
        sta ctx_first2
        lda #<ALPHABET
        sta ctx_count0
        lda #>ALPHABET
        sta ctx_count1
        lda #0
        sta i
@start:
        lda i
        cmp #START_LENGTH
        bcs @done
        tax
        lda start_bytes,x
        jsr ngram_feed
        inc i
        jmp @start
@done:
        rts

ngram_seed:
        lda rng
        ora rng+1
        ora rng+2
        ora rng+3
        bne @mix
        lda #$B9                ; 0x9E3779B9
        sta rng
        lda #$79
        sta rng+1
        lda #$37
        sta rng+2
        lda #$9E
        sta rng+3
@mix:
        lda #16
        sta i
@step:
        jsr rng_step
        dec i
        bne @step
        rts

; ---------------------------------------------------------------------------------------------
; Sampling

; X = level: first, count = the children of the context of `level` bytes; select the first.
open_context:
        ldx level
        lda ctx_first0,x
        sta index
        lda ctx_first1,x
        sta index+1
        lda ctx_first2,x
        sta index+2
        lda ctx_count0,x
        sta left
        lda ctx_count1,x
        sta left+1
        inx
        jmp select_record

; Z set when no children are left to walk; otherwise counts one off.
take_child:
        lda left
        ora left+1
        beq @none
        lda left
        bne @low
        dec left+1
@low:
        dec left
        lda #1                  ; Z clear
@none:
        rts

; mass = the sum S this context samples from.
context_mass:
        lda #0
        sta mass
        sta mass+1
        lda top
        beq @sum
        lda full
        bne @sum
        rts                     ; the longest context, not full: 65536
@sum:
        lda #0
        sta sum_all
        sta sum_all+1
        sta sum_out
        sta sum_out+1
        jsr open_context
@child:
        jsr take_child
        beq @total
        ldy #1
        lda (ptr),y
        jsr load_q
        clc
        lda sum_all
        adc q
        sta sum_all
        lda sum_all+1
        adc q+1
        sta sum_all+1
        ldy #0
        lda (ptr),y
        jsr is_excluded
        beq @next
        clc
        lda sum_out
        adc q
        sta sum_out
        lda sum_out+1
        adc q+1
        sta sum_out+1
@next:
        ldx level
        inx
        jsr next_record
        jmp @child
@total:
        lda full                ; S = (full ? all : 65536) - out
        beq @subtract
        lda sum_all
        sta mass
        lda sum_all+1
        sta mass+1
@subtract:
        sec
        lda mass
        sbc sum_out
        sta mass
        lda mass+1
        sbc sum_out+1
        sta mass+1
        rts

ngram_next:
        lda #0
        ldx #31
@clear:
        sta excluded,x
        dex
        bpl @clear
        lda depth
        sta level
@context:
        ldx level               ; top: this is the longest context
        lda #0
        cpx depth
        bne @set_top
        lda #1
@set_top:
        sta top
        lda #0                  ; full: it holds the whole alphabet
        ldy ctx_count0,x
        cpy #<ALPHABET
        bne @set_full
        ldy ctx_count1,x
        cpy #>ALPHABET
        bne @set_full
        lda #1
@set_full:
        sta full
        jsr context_mass
        jsr draw
        jsr open_context
@child:
        jsr take_child
        beq @escape
        ldy #0
        lda (ptr),y
        sta symbol
        jsr is_excluded
        bne @next
        ldy #1
        lda (ptr),y
        jsr load_q
        lda r+1                 ; r < q: this is the byte
        cmp q+1
        bcc @pick
        bne @pass
        lda r
        cmp q
        bcc @pick
@pass:
        sec
        lda r
        sbc q
        sta r
        lda r+1
        sbc q+1
        sta r+1
        lda symbol
        jsr exclude
@next:
        ldx level
        inx
        jsr next_record
        jmp @child
@escape:
        dec level
        jmp @context
@pick:
        lda symbol
        jsr ngram_feed
        lda byte
        rts

ngram_code_end:
