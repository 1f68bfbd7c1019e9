/*
 * The SCTP checksum: CRC32c (Castagnoli), RFC 9260 §6.8 and Appendix A.
 *
 * usrsctp computes it with a portable loop (Debian builds it without
 * optimisation: about 12% of a bulk transfer's CPU). rtcbox has usrsctp
 * leave it to us ("CRC32c offload"): the CPU's crc32 instruction when
 * there is one (SSE 4.2), a table otherwise. On receipt it is not checked:
 * every packet has passed DTLS, whose AEAD already proved it unchanged
 * (RFC 8261 §5; RFC 9653 rests on the same fact), and a peer that sends a
 * wrong one only harms itself.
 *
 * Threads: any.
 */
#ifndef PC_SCTP_CRC32C_H_
#define PC_SCTP_CRC32C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CRC32c of `size` bytes (RFC 3720 Appendix B.4 check values). */
uint32_t rtc_crc32c(const uint8_t* data, size_t size);

/* The same without the CPU's instruction (for tests). */
uint32_t rtc_crc32c_portable(const uint8_t* data, size_t size);

/* Fills in the checksum of a whole SCTP packet (common header first),
 * as RFC 9260 Appendix A places it. Packets under 12 bytes are left. */
void rtc_sctp_set_checksum(uint8_t* packet, size_t size);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // PC_SCTP_CRC32C_H_
