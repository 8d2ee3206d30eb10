package main

import (
	"net/http"
	"strings"
)

// messages are the UI texts, Spanish first (the agents' language).
var messages = map[string][2]string{
	// History: provider codes, paging, range.
	"dir_in":                         {"Entrante", "Inbound"},
	"dir_out":                        {"Saliente", "Outbound"},
	"dir_internal":                   {"Interna", "Internal"},
	"reason_OK":                      {"Contestada", "Answered"},
	"reason_NO_ANSWER":               {"Sin respuesta", "No answer"},
	"reason_CANCELLED":               {"Cancelada", "Cancelled"},
	"reason_TEMPORARILY_UNAVAILABLE": {"No disponible", "Unavailable"},
	"reason_NOT_FOUND":               {"Número inexistente", "Number not found"},
	"reason_DECLINE":                 {"Rechazada", "Declined"},
	"reason_SERVICE_UNAVAILABLE":     {"Servicio no disponible", "Service unavailable"},
	"page_of":                        {"Página %d de %d · %d llamadas", "Page %d of %d · %d calls"},
	"prev_page":                      {"← Anterior", "← Previous"},
	"next_page":                      {"Siguiente →", "Next →"},
	"range_reversed":                 {"La fecha inicial era posterior a la final: se muestran las llamadas entre ambas.", "The start date was after the end date: showing the calls between the two."},
	"history_limited":                {"Se muestran las 5.000 llamadas más recientes del rango: acótelo para ver el resto.", "Showing the 5,000 most recent calls of the range: narrow it to see the rest."},
	"linked_by_number":               {"vinculada por número", "linked by number"},
	"app":                            {"CRM de referencia CallMyWay", "CallMyWay reference CRM"},
	"home":                           {"Inicio", "Home"},
	"agents":                         {"Agentes", "Agents"},
	"customers":                      {"Clientes", "Customers"},
	"console":                        {"Consola del agente", "Agent console"},
	"calls":                          {"Llamadas", "Calls"},
	"demo":                           {"Modo demostración: CallMyWay simulado", "Demo mode: simulated CallMyWay"},
	"inbound_known":                  {"Entrante: cliente conocido", "Inbound: known customer"},
	"inbound_shared":                 {"Entrante: número compartido", "Inbound: shared number"},
	"inbound_unknown":                {"Entrante: número desconocido", "Inbound: unknown number"},
	"inbound_withheld":               {"Entrante: número privado", "Inbound: withheld number"},
	"name":                           {"Nombre", "Name"},
	"add":                            {"Agregar", "Add"},
	"save":                           {"Guardar", "Save"},
	"saved":                          {"Guardado", "Saved"},
	"endpoint_id":                    {"ID del EndPoint", "Endpoint ID"},
	"username":                       {"Usuario/número CallMyWay", "CallMyWay username/number"},
	"password":                       {"Clave (solo identificadores extra)", "Password (extra caller IDs only)"},
	"private":                        {"Privado (oculta el número)", "Private (withholds the number)"},
	"primary":                        {"Principal (se le llama primero)", "Primary (rung first)"},
	"current":                        {"Vigentes", "Current"},
	"history":                        {"Historial", "History"},
	"since":                          {"desde", "since"},
	"until":                          {"hasta", "until"},
	"call":                           {"Llamar", "Call"},
	"caller_id":                      {"Identificador", "Caller ID"},
	"dial_ok":                        {"Solicitud aceptada por CallMyWay: sonará su teléfono. (Aceptada no es conectada.)", "Request accepted by CallMyWay: your phone will ring. (Accepted is not connected.)"},
	"dial_busy":                      {"Ya tiene una llamada activa o en proceso.", "You already have a call active or in progress."},
	"waiting":                        {"Esperando llamadas…", "Waiting for calls…"},
	"pick":                           {"Elegir", "Pick"},
	"several":                        {"Varios contactos comparten este número: elija uno.", "Several contacts share this number: pick one."},
	"unknown":                        {"Número desconocido", "Unknown number"},
	"withheld":                       {"Número privado: busque al cliente", "Withheld number: search for the customer"},
	"create":                         {"Crear cliente", "Create customer"},
	"link":                           {"Vincular", "Link"},
	"ignore":                         {"Ignorar", "Ignore"},
	"search":                         {"Buscar", "Search"},
	"result":                         {"Resultado", "Result"},
	"notes":                          {"Notas", "Notes"},
	"next_action":                    {"Próxima acción", "Next action"},
	"date":                           {"Fecha", "Date"},
	"charge":                         {"Cargo de gestión de cobro", "Collection charge"},
	"case_file":                      {"Expediente", "Case file"},
	"recent_calls":                   {"Llamadas recientes", "Recent calls"},
	"from":                           {"Desde", "From"},
	"to":                             {"Hasta", "To"},
	"agent":                          {"Agente", "Agent"},
	"customer":                       {"Cliente", "Customer"},
	"all":                            {"Todos", "All"},
	"filter":                         {"Filtrar", "Filter"},
	"export":                         {"Exportar CSV", "Export CSV"},
	"sync":                           {"Sincronización de CDR", "CDR sync"},
	"checkpoint":                     {"Punto de control", "Checkpoint"},
	"next_poll":                      {"Próxima consulta", "Next poll"},
	"penalties":                      {"Penalizaciones (regla de 4 s)", "Penalties (4 s rule)"},
	"provisional":                    {"provisional", "provisional"},
	"direction":                      {"Dirección", "Direction"},
	"number":                         {"Número", "Number"},
	"duration":                       {"Duración", "Duration"},
	"cost":                           {"Costo", "Cost"},
	"end_reason":                     {"Fin", "End"},
	"contact":                        {"Contacto", "Contact"},
	"ended":                          {"Llamada finalizada: complete la gestión", "Call ended: complete the disposition"},
	"document":                       {"Documento", "Document"},
	"numbers":                        {"Teléfonos", "Numbers"},
	"language":                       {"English", "Español"},
	"balance":                        {"Saldo", "Balance"},
	"state_ringing":                  {"sonando", "ringing"},
	"state_connected":                {"conectada", "connected"},
	"state_ended":                    {"finalizada", "ended"},
	"withheld_number":                {"privado", "withheld"},
	// Sign-in, roles and users.
	"login":                {"Iniciar sesión", "Sign in"},
	"sign_in":              {"Iniciar sesión", "Sign in"},
	"sign_out":             {"Cerrar sesión", "Sign out"},
	"user":                 {"Usuario", "Username"},
	"password_label":       {"Contraseña", "Password"},
	"demo_login_hint":      {"Modo demostración: los usuarios (ana, beto, carla, super, admin) y sus contraseñas se imprimen al iniciar el CRM.", "Demo mode: the users (ana, beto, carla, super, admin) and their passwords are printed when the CRM starts."},
	"bad_login":            {"Usuario o contraseña incorrectos.", "Wrong username or password."},
	"too_many_logins":      {"Demasiados intentos fallidos. Espere unos minutos e intente de nuevo.", "Too many failed attempts. Wait a few minutes and try again."},
	"sign_in_required":     {"Inicie sesión para continuar.", "Sign in to continue."},
	"error":                {"Acceso denegado", "Access denied"},
	"forbidden_title":      {"Acceso denegado", "Access denied"},
	"forbidden":            {"Su rol no permite esta acción.", "Your role does not allow this."},
	"no_agent":             {"Su usuario no está vinculado a un agente: solo un agente puede usar la consola, llamar y registrar gestiones.", "Your user is not linked to an agent: only an agent can use the console, dial and record dispositions."},
	"no_agent_dial":        {"Su usuario no está vinculado a un agente: no puede llamar desde aquí.", "Your user is not linked to an agent: you cannot dial from here."},
	"not_your_call":        {"Esa llamada no es suya.", "That call is not yours."},
	"welcome":              {"Hola", "Hello"},
	"open_my_console":      {"Abrir mi consola", "Open my console"},
	"their_calls":          {"ver llamadas", "see calls"},
	"users":                {"Usuarios", "Users"},
	"add_user":             {"Agregar usuario", "Add a user"},
	"role":                 {"Rol", "Role"},
	"role_agent":           {"agente", "agent"},
	"role_supervisor":      {"supervisor", "supervisor"},
	"role_admin":           {"administrador", "admin"},
	"state":                {"Estado", "State"},
	"enabled":              {"activo", "enabled"},
	"disabled":             {"desactivado", "disabled"},
	"enable":               {"Activar", "Enable"},
	"disable":              {"Desactivar", "Disable"},
	"new_password":         {"Nueva contraseña", "New password"},
	"reset_password":       {"Cambiar contraseña", "Reset password"},
	"no_agent_link":        {"(sin agente)", "(no agent)"},
	"user_added":           {"Usuario agregado.", "User added."},
	"password_reset":       {"Contraseña cambiada; sus sesiones se cerraron.", "Password changed; their sessions were ended."},
	"user_enabled":         {"Usuario activado.", "User enabled."},
	"user_disabled":        {"Usuario desactivado; sus sesiones se cerraron.", "User disabled; their sessions were ended."},
	"err_bad_username":     {"Usuario: de 1 a 64 minúsculas, dígitos, '.', '-' o '_'.", "Username: 1 to 64 lowercase letters, digits, '.', '-' or '_'."},
	"err_password_length":  {"La contraseña debe tener de 8 a 72 caracteres.", "The password must have 8 to 72 characters."},
	"err_username_taken":   {"Ese usuario ya existe.", "That username is taken."},
	"err_bad_role":         {"Rol inválido.", "Invalid role."},
	"err_unknown_agent":    {"Agente desconocido.", "Unknown agent."},
	"err_unknown_user":     {"Usuario desconocido.", "Unknown user."},
	"err_last_admin":       {"No se puede desactivar al último administrador activo.", "The last enabled admin cannot be disabled."},
	"err_disable_yourself": {"No puede desactivar su propio usuario.", "You cannot disable your own user."},
	// The agent console: one card per call (issue 15).
	"live_calls":               {"Llamadas en curso", "Calls in progress"},
	"demo_calls":               {"Llamadas de prueba", "Test calls"},
	"state_dialing":            {"marcando", "dialing"},
	"state_talking":            {"en conversación", "talking"},
	"state_wrapup":             {"cierre: falta la gestión", "wrap-up: disposition pending"},
	"state_saved":              {"gestión guardada", "disposition saved"},
	"announce_in":              {"Llamada entrante de", "Incoming call from"},
	"announce_out":             {"Llamada saliente a", "Outgoing call to"},
	"announce_update":          {"Llamada", "Call"},
	"reconnecting":             {"Conexión perdida: reconectando…", "Connection lost: reconnecting…"},
	"notify_enable":            {"Activar avisos de escritorio", "Turn on desktop notifications"},
	"notify_on":                {"Avisos de escritorio activados", "Desktop notifications on"},
	"notify_denied":            {"El navegador bloqueó los avisos", "The browser blocked notifications"},
	"dismiss":                  {"Cerrar tarjeta", "Dismiss card"},
	"no_contact":               {"ninguno", "none"},
	"chosen_contact":           {"Contacto elegido", "Chosen contact"},
	"charge_hint":              {"Un cargo requiere un contacto elegido.", "A charge requires a chosen contact."},
	"search_customer":          {"Buscar cliente (nombre o documento)", "Search customer (name or document)"},
	"contact_name":             {"Nombre del contacto", "Contact name"},
	"customer_name":            {"Nombre del cliente", "Customer name"},
	"no_results":               {"Sin resultados", "No results"},
	"timer":                    {"Tiempo", "Time"},
	"saving":                   {"Guardando…", "Saving…"},
	"err_charge_needs_contact": {"Un cargo necesita un contacto: elija primero al cliente (o deje el cargo vacío).", "A charge needs a contact: pick the customer first (or leave the charge empty)."},
	"err_charge_negative":      {"El cargo no puede ser negativo.", "The charge cannot be negative."},
	"err_bad_amount":           {"Monto inválido:", "Invalid amount:"},
	"err_result_required":      {"Elija un resultado.", "Pick a result."},
	"err_network":              {"No se pudo guardar: sin conexión con el CRM.", "Could not save: no connection to the CRM."},
}

// lang picks "es" or "en": the lang query parameter or cookie, else
// Accept-Language, else Spanish.
func lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "es" || l == "en" {
		return l
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "es" || c.Value == "en") {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "es"):
			return "es"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "es"
}

func translate(l, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == "en" {
		return m[1]
	}
	return m[0]
}
