// Every string of the responder client, in English and Welsh. `t(key, values)` fills {name}
// placeholders; the language follows the browser unless the responder picked one (stored).
const en = {
  "app.title": "Responder",
  "skip": "Skip to content",
  "nav.label": "Sections",
  "nav.alerts": "Alerts",
  "nav.history": "History",
  "nav.profile": "Profile",
  "join.title": "Join as a volunteer responder",
  "join.intro": "Open the invite link your ambulance service sent you, by email or text message, on this phone, or scan its QR code with the camera. It signs this app in: there is nothing to type.",
  "join.paste": "Invite link or code",
  "join.paste.hint": "Only if the link opened in another app: copy it and paste it here.",
  "join.submit": "Join",
  "join.working": "Signing you in…",
  "join.empty": "Paste the invite link or code first.",
  "join.used": "This invite link has already been used. Ask your responder team for a new one.",
  "join.expired": "This invite link has expired. Ask your responder team for a new one.",
  "join.unknown": "This invite link was not recognised. Check it was copied whole, or ask for a new one.",
  "join.failed": "Could not sign you in: {detail}",
  "join.welcome": "Welcome, {name}. You are signed in on this phone.",
  "error.prefix": "Error:",
  "duty.title": "On duty",
  "duty.switch": "On duty",
  "duty.state.reachable": "On duty — you can be alerted",
  "duty.state.offline": "On duty but offline — you cannot be alerted until the connection is back",
  "duty.state.connecting": "On duty — connecting…",
  "duty.state.off": "Off duty — you will not be alerted",
  "duty.state.nolocation": "On duty, but your location is not shared — you will not be alerted",
  "duty.state.revoked": "This phone is no longer signed in. Ask your responder team for a new invite link.",
  "location.waiting": "Waiting for your location…",
  "location.shared": "Location shared (accurate to {metres} m).",
  "location.denied": "Location not shared: {detail}. You will not be alerted until it is.",
  "location.unsupported": "This browser cannot share your location.",
  "wakelock.on": "The screen stays on while you are on duty.",
  "push.allow": "Allow alerts when this page is closed",
  "push.on": "You will also be alerted while this page is closed.",
  "push.blocked": "Notifications are blocked: allow them in the browser settings to be alerted while this page is closed.",
  "push.unsupported": "This browser cannot alert you while the page is closed: keep it open.",
  "push.unavailable": "Alerts while the page is closed are unavailable: {detail}",
  "push.not_configured": "Alerts while the page is closed are not set up on this server.",
  "install.button": "Add to home screen",
  "alerts.none": "No alerts. Keep this page open, or allow notifications, to be woken when needed.",
  "alert.kicker.alerted": "Emergency alert",
  "alert.kicker.assigned": "You are assigned: go now",
  "alert.kicker.arrived": "On scene",
  "alert.kicker.ended": "Stood down",
  "alert.kicker.cancelled": "Call cancelled",
  "alert.private": "Private home",
  "alert.away": "{distance} away",
  "alert.countdown": "Answer within {time}",
  "alert.expiring": "This alert is expiring…",
  "alert.address": "Address: {address}",
  "alert.area": "Approximate area: {area}",
  "alert.area.later": "The full address is shown once you accept.",
  "alert.noaddress": "No address given: use the map.",
  "alert.aed": "Nearest defibrillator: {name}, {distance} from the patient",
  "alert.aed.access": "Access: {access}",
  "alert.role.scene": "Go to the patient.",
  "alert.role.aed": "Fetch the defibrillator first, then go to the patient.",
  "alert.role.ownaed": "Take your defibrillator to the patient.",
  "alert.accept": "Accept",
  "alert.decline": "Decline",
  "alert.arrived": "I've arrived",
  "alert.nav.patient": "Navigate to the patient",
  "alert.nav.aed": "Navigate to the defibrillator",
  "alert.arrived.far": "You seem to be {distance} from the scene. Report that you have arrived anyway?",
  "alert.arrived.yes": "Yes, I'm there",
  "alert.arrived.no": "Not yet",
  "alert.arrived.done": "Arrival reported. Thank you.",
  "alert.decline.ask": "Why are you declining? (optional)",
  "alert.decline.far": "Too far",
  "alert.decline.busy": "Busy",
  "alert.decline.unsafe": "Not safe",
  "alert.decline.other": "Other",
  "alert.decline.none": "No reason",
  "alert.decline.back": "Back",
  "alert.decline.pending": "Declining in {seconds} s…",
  "alert.undo": "Undo",
  "alert.dismiss": "Dismiss",
  "alert.ended.at": "Ended at {time}",
  "alert.problem": "Problem: {detail}",
  "alert.map": "Map of the patient, you and the nearest defibrillator",
  "legend.label": "Map key",
  "legend.patient": "Patient",
  "legend.aed": "Defibrillator",
  "legend.you": "You",
  "reason.filled": "Enough responders have accepted: you are not needed. Thank you.",
  "reason.cancelled": "The ambulance service cancelled this call. You can stand down.",
  "reason.expired": "This alert has expired.",
  "reason.closed": "The job is over. Thank you for your help.",
  "reason.declined": "You declined this alert.",
  "reason.withdrawn": "Your trust has withdrawn you from alerts.",
  "reason.gone": "This alert is no longer open.",
  "reason.other": "Stood down.",
  "cpr.title": "CPR",
  "cpr.start": "Start CPR metronome",
  "cpr.stop": "Stop metronome",
  "cpr.steps": "Kneel beside the patient. Heel of your hand on the centre of the chest, other hand on top.|Push hard and fast, 5 to 6 cm deep, with the beat: 110 a minute.|Let the chest come all the way back up after each push.|When the defibrillator arrives, switch it on and do what it says.",
  "title.alert": "ALERT — answer now",
  "history.title": "Your past alerts",
  "history.empty": "No alerts yet.",
  "history.loading": "Loading…",
  "history.failed": "Could not load your history: {detail}",
  "history.refresh": "Refresh",
  "outcome.alerted": "Not answered",
  "outcome.accepted": "Accepted",
  "outcome.arrived": "You arrived on scene",
  "outcome.declined": "You declined",
  "outcome.stood_down": "Stood down",
  "outcome.expired": "Expired",
  "incident.cancelled": "call cancelled",
  "incident.closed": "job closed",
  "incident.alerting": "still open",
  "incident.filled": "still open",
  "incident.exhausted": "still open",
  "profile.title": "Your profile",
  "profile.name": "Signed in as {name}",
  "profile.travel": "How do you usually travel to a call?",
  "profile.travel.foot": "On foot",
  "profile.travel.bike": "By bike",
  "profile.travel.car": "By car",
  "profile.aed": "I carry my own defibrillator (AED)",
  "profile.language": "Language",
  "profile.language.auto": "Follow this phone",
  "profile.save": "Save",
  "profile.saved": "Saved.",
  "profile.failed": "Could not save: {detail}",
  "profile.credentials.missing": "A credential your trust requires is missing or has expired: you are not alerted until it is renewed and checked.",
  "signout.button": "Sign out of this phone",
  "signout.confirm": "Sign out? This phone will stop receiving alerts. To sign in again you need a new invite link from your responder team.",
  "signout.yes": "Yes, sign out",
  "signout.no": "Stay signed in",
  "notify.title": "Emergency alert",
  "notify.accept": "Accept",
  "notify.decline": "Decline",
};

const cy = {
  "app.title": "Ymatebydd",
  "skip": "Neidio i'r cynnwys",
  "nav.label": "Adrannau",
  "nav.alerts": "Rhybuddion",
  "nav.history": "Hanes",
  "nav.profile": "Proffil",
  "join.title": "Ymuno fel ymatebydd gwirfoddol",
  "join.intro": "Agorwch ar y ffôn hwn y ddolen wahodd a anfonodd eich gwasanaeth ambiwlans atoch chi, drwy e-bost neu neges destun, neu sganiwch ei chod QR gyda'r camera. Mae'n eich mewngofnodi i'r ap: does dim byd i'w deipio.",
  "join.paste": "Dolen neu god gwahodd",
  "join.paste.hint": "Dim ond os agorodd y ddolen mewn ap arall: copïwch hi a'i gludo yma.",
  "join.submit": "Ymuno",
  "join.working": "Wrthi'n eich mewngofnodi…",
  "join.empty": "Gludwch y ddolen neu'r cod gwahodd yn gyntaf.",
  "join.used": "Mae'r ddolen wahodd hon wedi'i defnyddio'n barod. Gofynnwch i'ch tîm ymatebwyr am un newydd.",
  "join.expired": "Mae'r ddolen wahodd hon wedi dod i ben. Gofynnwch i'ch tîm ymatebwyr am un newydd.",
  "join.unknown": "Doedd dim modd adnabod y ddolen wahodd hon. Gwnewch yn siŵr iddi gael ei chopïo'n gyfan, neu gofynnwch am un newydd.",
  "join.failed": "Methu eich mewngofnodi: {detail}",
  "join.welcome": "Croeso, {name}. Rydych wedi mewngofnodi ar y ffôn hwn.",
  "error.prefix": "Gwall:",
  "duty.title": "Ar ddyletswydd",
  "duty.switch": "Ar ddyletswydd",
  "duty.state.reachable": "Ar ddyletswydd — gellir anfon rhybudd atoch chi",
  "duty.state.offline": "Ar ddyletswydd ond all-lein — ni ellir anfon rhybudd atoch chi nes bydd y cysylltiad yn ôl",
  "duty.state.connecting": "Ar ddyletswydd — wrthi'n cysylltu…",
  "duty.state.off": "Oddi ar ddyletswydd — ni fyddwch yn cael rhybuddion",
  "duty.state.nolocation": "Ar ddyletswydd, ond dydych chi ddim yn rhannu eich lleoliad — ni fyddwch yn cael rhybuddion",
  "duty.state.revoked": "Dydy'r ffôn hwn ddim wedi mewngofnodi mwyach. Gofynnwch i'ch tîm ymatebwyr am ddolen wahodd newydd.",
  "location.waiting": "Yn aros am eich lleoliad…",
  "location.shared": "Lleoliad wedi'i rannu (yn gywir i {metres} m).",
  "location.denied": "Lleoliad heb ei rannu: {detail}. Ni fyddwch yn cael rhybuddion nes iddo gael ei rannu.",
  "location.unsupported": "Dydy'r porwr hwn ddim yn gallu rhannu eich lleoliad.",
  "wakelock.on": "Mae'r sgrin yn aros ymlaen tra byddwch chi ar ddyletswydd.",
  "push.allow": "Caniatáu rhybuddion pan fydd y dudalen ar gau",
  "push.on": "Byddwch hefyd yn cael rhybuddion pan fydd y dudalen hon ar gau.",
  "push.blocked": "Mae hysbysiadau wedi'u rhwystro: caniatewch nhw yng ngosodiadau'r porwr i gael rhybuddion pan fydd y dudalen ar gau.",
  "push.unsupported": "Dydy'r porwr hwn ddim yn gallu anfon rhybudd pan fydd y dudalen ar gau: cadwch hi ar agor.",
  "push.unavailable": "Does dim rhybuddion ar gael pan fydd y dudalen ar gau: {detail}",
  "push.not_configured": "Dydy rhybuddion pan fydd y dudalen ar gau ddim wedi'u gosod ar y gweinydd hwn.",
  "install.button": "Ychwanegu at y sgrin gartref",
  "alerts.none": "Dim rhybuddion. Cadwch y dudalen hon ar agor, neu caniatewch hysbysiadau, i gael eich deffro pan fydd angen.",
  "alert.kicker.alerted": "Rhybudd brys",
  "alert.kicker.assigned": "Chi sydd wedi'ch dewis: ewch nawr",
  "alert.kicker.arrived": "Yn y fan a'r lle",
  "alert.kicker.ended": "Does dim angen i chi fynd",
  "alert.kicker.cancelled": "Galwad wedi'i chanslo",
  "alert.private": "Cartref preifat",
  "alert.away": "{distance} i ffwrdd",
  "alert.countdown": "Atebwch o fewn {time}",
  "alert.expiring": "Mae'r rhybudd hwn yn dod i ben…",
  "alert.address": "Cyfeiriad: {address}",
  "alert.area": "Ardal fras: {area}",
  "alert.area.later": "Bydd y cyfeiriad llawn yn ymddangos ar ôl i chi dderbyn.",
  "alert.noaddress": "Dim cyfeiriad: defnyddiwch y map.",
  "alert.aed": "Y diffibriliwr agosaf: {name}, {distance} o'r claf",
  "alert.aed.access": "Mynediad: {access}",
  "alert.role.scene": "Ewch at y claf.",
  "alert.role.aed": "Ewch i nôl y diffibriliwr yn gyntaf, yna ewch at y claf.",
  "alert.role.ownaed": "Ewch â'ch diffibriliwr at y claf.",
  "alert.accept": "Derbyn",
  "alert.decline": "Gwrthod",
  "alert.arrived": "Rydw i wedi cyrraedd",
  "alert.nav.patient": "Llywio at y claf",
  "alert.nav.aed": "Llywio at y diffibriliwr",
  "alert.arrived.far": "Mae'n ymddangos eich bod {distance} o'r fan. Dweud eich bod wedi cyrraedd beth bynnag?",
  "alert.arrived.yes": "Ydw, rydw i yno",
  "alert.arrived.no": "Ddim eto",
  "alert.arrived.done": "Rydych wedi dweud eich bod wedi cyrraedd. Diolch.",
  "alert.decline.ask": "Pam rydych chi'n gwrthod? (dewisol)",
  "alert.decline.far": "Rhy bell",
  "alert.decline.busy": "Prysur",
  "alert.decline.unsafe": "Ddim yn ddiogel",
  "alert.decline.other": "Arall",
  "alert.decline.none": "Dim rheswm",
  "alert.decline.back": "Yn ôl",
  "alert.decline.pending": "Yn gwrthod ymhen {seconds} eiliad…",
  "alert.undo": "Dadwneud",
  "alert.dismiss": "Cau",
  "alert.ended.at": "Daeth i ben am {time}",
  "alert.problem": "Problem: {detail}",
  "alert.map": "Map o'r claf, chi a'r diffibriliwr agosaf",
  "legend.label": "Allwedd y map",
  "legend.patient": "Claf",
  "legend.aed": "Diffibriliwr",
  "legend.you": "Chi",
  "reason.filled": "Mae digon o ymatebwyr wedi derbyn: does dim angen amdanoch chi. Diolch.",
  "reason.cancelled": "Mae'r gwasanaeth ambiwlans wedi canslo'r alwad hon. Does dim angen i chi aros.",
  "reason.expired": "Mae'r rhybudd hwn wedi dod i ben.",
  "reason.closed": "Mae'r gwaith ar ben. Diolch am eich help.",
  "reason.declined": "Fe wnaethoch chi wrthod y rhybudd hwn.",
  "reason.withdrawn": "Mae eich ymddiriedolaeth wedi eich tynnu'n ôl o rybuddion.",
  "reason.gone": "Dydy'r rhybudd hwn ddim ar agor mwyach.",
  "reason.other": "Does dim angen i chi fynd.",
  "cpr.title": "Adfywio cardio-pwlmonaidd (CPR)",
  "cpr.start": "Dechrau'r metronom CPR",
  "cpr.stop": "Stopio'r metronom",
  "cpr.steps": "Penliniwch wrth ymyl y claf. Rhowch sawdl eich llaw ar ganol y frest, a'r llaw arall ar ei phen.|Gwthiwch yn galed ac yn gyflym, 5 i 6 cm o ddyfnder, gyda'r curiad: 110 y funud.|Gadewch i'r frest godi'n ôl yn llwyr ar ôl pob gwthiad.|Pan fydd y diffibriliwr yn cyrraedd, trowch ef ymlaen a gwnewch yr hyn mae'n ei ddweud.",
  "title.alert": "RHYBUDD — atebwch nawr",
  "history.title": "Eich rhybuddion blaenorol",
  "history.empty": "Dim rhybuddion eto.",
  "history.loading": "Wrthi'n llwytho…",
  "history.failed": "Methu llwytho eich hanes: {detail}",
  "history.refresh": "Adnewyddu",
  "outcome.alerted": "Heb ei ateb",
  "outcome.accepted": "Wedi derbyn",
  "outcome.arrived": "Fe wnaethoch chi gyrraedd y fan",
  "outcome.declined": "Fe wnaethoch chi wrthod",
  "outcome.stood_down": "Dim angen mynd",
  "outcome.expired": "Wedi dod i ben",
  "incident.cancelled": "galwad wedi'i chanslo",
  "incident.closed": "gwaith ar ben",
  "incident.alerting": "dal ar agor",
  "incident.filled": "dal ar agor",
  "incident.exhausted": "dal ar agor",
  "profile.title": "Eich proffil",
  "profile.name": "Wedi mewngofnodi fel {name}",
  "profile.travel": "Sut rydych chi'n teithio i alwad fel arfer?",
  "profile.travel.foot": "Ar droed",
  "profile.travel.bike": "Ar feic",
  "profile.travel.car": "Mewn car",
  "profile.aed": "Rydw i'n cario fy niffibriliwr fy hun (AED)",
  "profile.language": "Iaith",
  "profile.language.auto": "Dilyn y ffôn hwn",
  "profile.save": "Cadw",
  "profile.saved": "Wedi'i gadw.",
  "profile.failed": "Methu cadw: {detail}",
  "profile.credentials.missing": "Mae cymhwyster sydd ei angen ar eich ymddiriedolaeth ar goll neu wedi dod i ben: ni fyddwch yn cael rhybuddion nes iddo gael ei adnewyddu a'i wirio.",
  "signout.button": "Allgofnodi o'r ffôn hwn",
  "signout.confirm": "Allgofnodi? Bydd y ffôn hwn yn peidio â chael rhybuddion. I fewngofnodi eto, bydd angen dolen wahodd newydd arnoch chi gan eich tîm ymatebwyr.",
  "signout.yes": "Ydw, allgofnodi",
  "signout.no": "Aros wedi mewngofnodi",
  "notify.title": "Rhybudd brys",
  "notify.accept": "Derbyn",
  "notify.decline": "Gwrthod",
};

// Common AMPDS determinants, for trusts whose policy gives no label of its own.
const CATEGORIES = {
  en: { "09-E-01": "Cardiac arrest — not breathing", "09-E-02": "Cardiac arrest — breathing uncertain",
    "09-E-03": "Cardiac arrest — hanging", "09-E-04": "Cardiac arrest — strangulation",
    "09-E-05": "Cardiac arrest — suffocation", "09-E-06": "Cardiac arrest — underwater",
    "09-D-01": "Breathing ineffectively", "09-E": "Cardiac or respiratory arrest", "09": "Cardiac or respiratory arrest",
    "31-D": "Unconscious", "31": "Unconscious or fainting", "10": "Chest pain", "06": "Breathing problems" },
  cy: { "09-E-01": "Ataliad y galon — ddim yn anadlu", "09-E-02": "Ataliad y galon — ansicr a yw'n anadlu",
    "09-E-03": "Ataliad y galon — crogi", "09-E-04": "Ataliad y galon — tagu",
    "09-E-05": "Ataliad y galon — mygu", "09-E-06": "Ataliad y galon — o dan y dŵr",
    "09-D-01": "Ddim yn anadlu'n effeithiol", "09-E": "Ataliad y galon neu'r ysgyfaint", "09": "Ataliad y galon neu'r ysgyfaint",
    "31-D": "Anymwybodol", "31": "Anymwybodol neu'n llewygu", "10": "Poen yn y frest", "06": "Problemau anadlu" },
};

export const CATALOGUES = { en, cy };
export const LANGUAGES = { en: "English", cy: "Cymraeg" };
const CHOSEN = "alerting.language";
let current = "en";

/** The stored choice if any, else the first browser language we have, else English. */
export function pickLanguage() {
  const chosen = localStorage.getItem(CHOSEN);
  if (chosen && CATALOGUES[chosen]) return chosen;
  for (const tag of navigator.languages?.length ? navigator.languages : [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (CATALOGUES[base]) return base;
  }
  return "en";
}

export function chosenLanguage() {
  return localStorage.getItem(CHOSEN) || "";
}

/** `lang` "" means follow the browser again. */
export function chooseLanguage(lang) {
  if (lang && CATALOGUES[lang]) localStorage.setItem(CHOSEN, lang);
  else localStorage.removeItem(CHOSEN);
  setLanguage(pickLanguage());
}

export function setLanguage(lang) {
  current = CATALOGUES[lang] ? lang : "en";
  document.documentElement.lang = current === "cy" ? "cy" : "en-GB";
  translatePage();
}

export const language = () => current;

export function t(key, values = {}) {
  const text = CATALOGUES[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? ""));
}

/** Words for a category: the trust's label, else the longest matching built-in code, else the code. */
export function categoryText(code, label) {
  if (label) return label;
  const map = CATEGORIES[current] || CATEGORIES.en;
  const c = String(code || "").toUpperCase();
  for (const key of Object.keys(map).sort((a, b) => b.length - a.length)) {
    if (c === key || c.startsWith(`${key}-`)) return map[key];
  }
  return c || t("alert.kicker.alerted");
}

/** Fills every element marked data-i18n (text) or data-i18n-aria (aria-label) in the page. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
}
