/** Dates are shown in IST, whatever the device's zone. */
export function formatDateTime(iso: string, lang: string): string {
  return new Intl.DateTimeFormat(lang === 'hi' ? 'hi-IN' : 'en-IN', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'Asia/Kolkata',
  }).format(new Date(iso));
}

/** An IST calendar day (an <input type="date"> value) as the UTC instants it starts and ends. */
export function istDayStart(day: string): string {
  return new Date(`${day}T00:00:00+05:30`).toISOString();
}
export function istDayEnd(day: string): string {
  return new Date(`${day}T23:59:59.999+05:30`).toISOString();
}

/** Today's IST date, YYYY-MM-DD. */
export function istToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(now);
}

/** The first day of the IST month of `day`. */
export function monthStart(day: string): string {
  return `${day.slice(0, 7)}-01`;
}
