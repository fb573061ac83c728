package sigv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
)

// stringToSign returns the string to sign of a's algorithm for a request
// signed at date (X-Sdk-Date) whose canonical request is canonical.
//
//	SDK-HMAC-SHA256, SDK-ECDSA-P256-SHA256:  ALG \n date \n hex(sha256(canonical))
//	V11-HMAC-SHA256:                         ALG \n date \n scope \n hex(sha256(canonical))
func stringToSign(a Authorization, date, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	alg := a.Algorithm
	if alg == "" {
		alg = Algorithm
	}
	if alg == AlgorithmDerived {
		return alg + "\n" + date + "\n" + a.Scope + "\n" + hex.EncodeToString(sum[:])
	}
	return alg + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

// signatureValid reports whether a.Signature is the signature of sts under
// the AK/SK pair, for a's algorithm. The HMAC comparisons are constant time.
func signatureValid(a Authorization, secret []byte, sts string) bool {
	got, err := hex.DecodeString(a.Signature)
	if err != nil {
		return false
	}
	switch a.Algorithm {
	case "", Algorithm:
		return hmac.Equal(mac(secret, sts), got)
	case AlgorithmDerived:
		key, err := DerivedKey(secret, a.AccessKey, a.Scope)
		if err != nil {
			return false
		}
		return hmac.Equal(mac(key, sts), got)
	case AlgorithmECDSA:
		priv, ok := ecdsaKey(a.AccessKey, secret)
		if !ok {
			return false
		}
		sum := sha256.Sum256([]byte(sts))
		return ecdsa.VerifyASN1(&priv.PublicKey, sum[:], got)
	}
	return false
}

// DerivedKey returns the HMAC key of V11-HMAC-SHA256: the lower-case hex of
// 32 bytes of HKDF-SHA256 with the secret key as input keying material, the
// AK as salt and the credential scope as info. The hex text itself (64
// ASCII bytes) is the key, as the SDKs use it.
func DerivedKey(secret []byte, ak, scope string) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, []byte(ak), scope, 32)
	if err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(k)), nil
}

var p256NMinusTwo = new(big.Int).Sub(elliptic.P256().Params().N, big.NewInt(2))

// ecdsaKey derives the P-256 key pair of an AK/SK pair the way the SDKs'
// SDK-ECDSA-P256-SHA256 signer does (a counter-mode HMAC-SHA256 KDF over
// the algorithm name and the AK, keyed with the SK, retried until the
// candidate is at most n-2, plus one).
func ecdsaKey(ak string, secret []byte) (*ecdsa.PrivateKey, bool) {
	var data bytes.Buffer
	for counter := 0; counter <= 0xff; counter++ {
		data.Reset()
		data.Write([]byte{0, 0, 0, 1})
		data.WriteString(AlgorithmECDSA)
		data.WriteByte(0)
		data.WriteString(ak)
		data.WriteByte(byte(counter))
		data.Write([]byte{0, 0, 1, 0})
		m := hmac.New(sha256.New, secret)
		m.Write(data.Bytes())
		d := new(big.Int).SetBytes(m.Sum(nil))
		if d.Cmp(p256NMinusTwo) > 0 {
			continue
		}
		d.Add(d, big.NewInt(1))
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
		return priv, err == nil
	}
	return nil, false
}
