/* libFuzzer target: the eve log reader (src/detect/readers/) and the scanner on its records. */
#include "log_reader_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_log_reader(ERMES_LOG_EVE, data, size);
}
