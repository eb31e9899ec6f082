/* FOR THE WINE TESTS ONLY — never shipped. Wine 8.0 has no
 * bcryptprimitives.dll, whose ProcessPrng Rust's standard library imports
 * for random numbers; Windows 10 and later have the real one. This stands
 * in for it with advapi32's RtlGenRandom (SystemFunction036). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
