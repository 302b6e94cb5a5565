#include "textflag.h"

// func getg() unsafe.Pointer: the running goroutine's g (amd64 keeps it
// in thread-local storage).
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET
