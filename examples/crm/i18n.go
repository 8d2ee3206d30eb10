package main

import (
	"net/http"
	"strings"
)

// messages are the UI texts, Spanish first (the agents' language).
var messages = map[string][2]string{
	"app":              {"CRM de referencia CallMyWay", "CallMyWay reference CRM"},
	"home":             {"Inicio", "Home"},
	"agents":           {"Agentes", "Agents"},
	"customers":        {"Clientes", "Customers"},
	"console":          {"Consola del agente", "Agent console"},
	"calls":            {"Llamadas", "Calls"},
	"open_console":     {"Abrir consola de", "Open the console of"},
	"demo":             {"Modo demostración: CallMyWay simulado", "Demo mode: simulated CallMyWay"},
	"inbound_known":    {"Entrante: cliente conocido", "Inbound: known customer"},
	"inbound_shared":   {"Entrante: número compartido", "Inbound: shared number"},
	"inbound_unknown":  {"Entrante: número desconocido", "Inbound: unknown number"},
	"inbound_withheld": {"Entrante: número privado", "Inbound: withheld number"},
	"name":             {"Nombre", "Name"},
	"add":              {"Agregar", "Add"},
	"save":             {"Guardar", "Save"},
	"saved":            {"Guardado", "Saved"},
	"endpoint_id":      {"ID del EndPoint", "Endpoint ID"},
	"username":         {"Usuario/número CallMyWay", "CallMyWay username/number"},
	"password":         {"Clave (solo identificadores extra)", "Password (extra caller IDs only)"},
	"private":          {"Privado (oculta el número)", "Private (withholds the number)"},
	"primary":          {"Principal (se le llama primero)", "Primary (rung first)"},
	"current":          {"Vigentes", "Current"},
	"history":          {"Historial", "History"},
	"since":            {"desde", "since"},
	"until":            {"hasta", "until"},
	"call":             {"Llamar", "Call"},
	"caller_id":        {"Identificador", "Caller ID"},
	"dial_ok":          {"Solicitud aceptada por CallMyWay: sonará su teléfono. (Aceptada no es conectada.)", "Request accepted by CallMyWay: your phone will ring. (Accepted is not connected.)"},
	"dial_busy":        {"Ya tiene una llamada activa o en proceso.", "You already have a call active or in progress."},
	"waiting":          {"Esperando llamadas…", "Waiting for calls…"},
	"pick":             {"Elegir", "Pick"},
	"several":          {"Varios contactos comparten este número: elija uno.", "Several contacts share this number: pick one."},
	"unknown":          {"Número desconocido", "Unknown number"},
	"withheld":         {"Número privado: busque al cliente", "Withheld number: search for the customer"},
	"create":           {"Crear cliente", "Create customer"},
	"link":             {"Vincular", "Link"},
	"ignore":           {"Ignorar", "Ignore"},
	"search":           {"Buscar", "Search"},
	"result":           {"Resultado", "Result"},
	"notes":            {"Notas", "Notes"},
	"next_action":      {"Próxima acción", "Next action"},
	"date":             {"Fecha", "Date"},
	"charge":           {"Cargo de gestión de cobro", "Collection charge"},
	"case_file":        {"Expediente", "Case file"},
	"recent_calls":     {"Llamadas recientes", "Recent calls"},
	"from":             {"Desde", "From"},
	"to":               {"Hasta", "To"},
	"agent":            {"Agente", "Agent"},
	"customer":         {"Cliente", "Customer"},
	"all":              {"Todos", "All"},
	"filter":           {"Filtrar", "Filter"},
	"export":           {"Exportar CSV", "Export CSV"},
	"sync":             {"Sincronización de CDR", "CDR sync"},
	"checkpoint":       {"Punto de control", "Checkpoint"},
	"next_poll":        {"Próxima consulta", "Next poll"},
	"penalties":        {"Penalizaciones (regla de 4 s)", "Penalties (4 s rule)"},
	"provisional":      {"provisional", "provisional"},
	"direction":        {"Dirección", "Direction"},
	"number":           {"Número", "Number"},
	"duration":         {"Duración", "Duration"},
	"cost":             {"Costo", "Cost"},
	"end_reason":       {"Fin", "End"},
	"contact":          {"Contacto", "Contact"},
	"ended":            {"Llamada finalizada: complete la gestión", "Call ended: complete the disposition"},
	"document":         {"Documento", "Document"},
	"numbers":          {"Teléfonos", "Numbers"},
	"language":         {"English", "Español"},
	"choose_agent":     {"Elija un agente", "Choose an agent"},
	"balance":          {"Saldo", "Balance"},
	"state_ringing":    {"sonando", "ringing"},
	"state_connected":  {"conectada", "connected"},
	"state_ended":      {"finalizada", "ended"},
	"withheld_number":  {"privado", "withheld"},
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
