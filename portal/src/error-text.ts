import { ApiError } from './api/error';

/** Hindi for the common API error codes; the API's own (English) message is shown beside it. */
const hindi: Record<string, string> = {
  INSUFFICIENT_FUNDS: 'वॉलेट में पर्याप्त राशि नहीं है।',
  VALIDATION_FAILED: 'दी गई जानकारी सही नहीं है।',
  UNAUTHENTICATED: 'कृपया फिर से साइन इन करें।',
  FORBIDDEN: 'आपको यह करने की अनुमति नहीं है।',
  NOT_FOUND: 'यह नहीं मिला।',
  RISK_REJECTED: 'जोखिम जाँच ने इसे रोक दिया।',
  KYC_REQUIRED: 'पहले अपना KYC पूरा करें।',
  STEP_UP_REQUIRED: 'इस राशि के लिए अपना mPIN डालें।',
  RATE_LIMITED: 'बहुत अधिक अनुरोध: थोड़ी देर बाद फिर कोशिश करें।',
  UNAVAILABLE: 'सेवा अभी उपलब्ध नहीं है: थोड़ी देर बाद फिर कोशिश करें।',
  USER_SUSPENDED: 'यह खाता निलंबित है।',
  LIMIT_EXCEEDED: 'सीमा पार हो गई है।',
};

/** The API's message with the fields it names, so a validation failure says what is wrong. */
function apiText(err: ApiError): string {
  const fields = (err.details as { fields?: unknown } | undefined)?.fields;
  if (!Array.isArray(fields) || fields.length === 0) return err.message;
  const named = (fields as Array<{ path?: unknown; message?: unknown }>)
    .map((f) => `${String(f.path)}: ${String(f.message)}`)
    .join('; ');
  return `${err.message} (${named})`;
}

/** A failure in plain words: never a stack, and in Hindi (beside the API's words) when chosen. */
export function messageOf(err: unknown, lang: 'en' | 'hi' = 'en'): string {
  if (err instanceof ApiError) {
    const own = apiText(err);
    const translated = lang === 'hi' ? hindi[err.code] : undefined;
    return translated ? `${translated} — ${own}` : own;
  }
  return err instanceof Error ? err.message : String(err);
}
