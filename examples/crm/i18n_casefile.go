package main

// caseFileMessages are the texts of the case file, the customer forms and
// the translated errors (issue 15), Spanish first; init adds them to
// messages. A key both maps have is a mistake TestCaseFileMessages
// catches.
var caseFileMessages = map[string][2]string{
	"not_found":                  {"No encontrado", "Not found"},
	"casefile":                   {"Expediente del cliente", "Customer case file"},
	"open_case_file":             {"Ver expediente", "Open case file"},
	"customer_details":           {"Datos del cliente", "Customer details"},
	"contacts":                   {"Contactos", "Contacts"},
	"new_customer":               {"Nuevo cliente", "New customer"},
	"new_customer_hint":          {"Cliente, contacto y teléfono se guardan juntos: si algo falla no se guarda nada.", "Customer, contact and number are saved together: if anything fails nothing is saved."},
	"add_contact":                {"Agregar contacto", "Add a contact"},
	"rename":                     {"Renombrar", "Rename"},
	"add_number":                 {"Agregar teléfono", "Add number"},
	"remove_number":              {"Quitar", "Remove"},
	"remove_number_label":        {"Quitar el teléfono", "Remove the number"},
	"new_number":                 {"Nuevo teléfono", "New number"},
	"number_hint":                {"Ej.: 8888-1111 o +52 55 1234 5678", "E.g. 8888-1111 or +52 55 1234 5678"},
	"save_shared":                {"Guardar como teléfono compartido", "Save as a shared number"},
	"shared_hint":                {"Un teléfono compartido (p. ej. el de una familia) hace que la llamada pregunte a qué contacto corresponde.", "A shared number (a family phone, say) makes its calls ask which contact they are for."},
	"cancel":                     {"Cancelar", "Cancel"},
	"call_history":               {"Llamadas y gestiones", "Calls and dispositions"},
	"no_calls":                   {"Todavía no hay llamadas de este cliente.", "No calls with this customer yet."},
	"older_calls":                {"Llamadas anteriores", "Older calls"},
	"newest_calls":               {"Las más recientes", "Newest calls"},
	"no_contacts":                {"Sin contactos todavía.", "No contacts yet."},
	"by":                         {"por", "by"},
	"amends":                     {"corrige la anterior", "corrects the previous one"},
	"no_disposition":             {"sin gestión", "no disposition"},
	"charges":                    {"Cargos", "Charges"},
	"read_only":                  {"Solo lectura: su rol no permite modificar clientes.", "Read-only: your role cannot change customers."},
	"caller_primary":             {"principal", "primary"},
	"caller_private":             {"número oculto", "number withheld"},
	"dial_from_here":             {"Llamar desde", "Call from"},
	"contact_first":              {"Llamar primero al cliente (el agente entra cuando contesta)", "Ring the customer first (the agent joins when they answer)"},
	"result_ignored":             {"Ignorada (número desconocido)", "Ignored (unknown number)"},
	"ignored":                    {"Llamada marcada como ignorada.", "Call marked as ignored."},
	"picked":                     {"Contacto elegido.", "Contact chosen."},
	"number_linked":              {"El número %s quedó guardado en %s: sus próximas llamadas lo reconocerán.", "Number %s saved on %s: its next calls will be recognised."},
	"contact_created":            {"Creado: %s — %s.", "Created: %s — %s."},
	"customer_created":           {"Cliente creado.", "Customer created."},
	"customer_saved":             {"Datos del cliente guardados.", "Customer details saved."},
	"contact_added":              {"Contacto agregado.", "Contact added."},
	"contact_saved":              {"Contacto renombrado.", "Contact renamed."},
	"number_added":               {"Teléfono agregado.", "Number added."},
	"number_removed":             {"Teléfono quitado.", "Number removed."},
	"agent_added":                {"Agente agregado.", "Agent added."},
	"endpoint_assigned":          {"Teléfono asignado.", "Phone assigned."},
	"warn_number_taken":          {"El teléfono %s ya es de %s (%s). Si es compartido a propósito (p. ej. el de una familia), confírmelo.", "Number %s is already %s's (%s). If it is shared on purpose (a family phone, say), confirm it."},
	"err_document_taken":         {"El documento %s ya es del cliente %s: abra su expediente en lugar de crear otro.", "Document %s already belongs to customer %s: open their case file instead of creating another."},
	"err_customer_name_required": {"Escriba el nombre del cliente.", "Enter the customer's name."},
	"err_contact_name_required":  {"Escriba el nombre del contacto.", "Enter the contact's name."},
	"err_number_required":        {"Escriba un número de teléfono.", "Enter a phone number."},
	"err_unknown_customer":       {"Cliente desconocido.", "Unknown customer."},
	"err_unknown_contact":        {"Contacto desconocido.", "Unknown contact."},
	"err_unknown_number":         {"Ese contacto no tiene ese teléfono.", "That contact has no such number."},
	"err_invalid_number":         {"Número de teléfono inválido: use solo dígitos (y + para otro país), sin letras.", "Invalid phone number: digits only (and + for another country), no letters."},
	"err_unknown_result":         {"Resultado desconocido.", "Unknown result."},
	"err_no_endpoint":            {"Su agente no tiene un teléfono CallMyWay asignado.", "Your agent has no CallMyWay phone assigned."},
	"err_bad_date":               {"Fecha inválida.", "Invalid date."},
	"err_bad_amount_value":       {"Monto inválido.", "Invalid amount."},
	"err_unknown_call":           {"Llamada desconocida.", "Unknown call."},
	"err_charge_conflict":        {"Ese cargo ya se registró en otra llamada.", "That charge was already posted on another call."},
	"err_unknown_caller_id":      {"Identificador de llamada desconocido.", "Unknown caller ID."},
	"err_contact_not_allowed":    {"No se permite llamar a ese número.", "Calling that number is not allowed."},
	"err_dial_hook":              {"La llamada se hizo pero no se pudo registrar: revise el historial.", "The call was placed but could not be recorded: check the history."},
	"err_provider":               {"CallMyWay rechazó la solicitud o no respondió. Intente de nuevo.", "CallMyWay refused the request or did not answer. Try again."},
	"err_provider_busy":          {"CallMyWay pide esperar: intente de nuevo en unos segundos.", "CallMyWay asks to wait: try again in a few seconds."},
	"err_sync":                   {"La última sincronización de CDR falló (detalle en el registro del servidor); se reintentará.", "The last CDR sync failed (details in the server log); it will be retried."},
	"err_internal":               {"Error interno: intente de nuevo.", "Internal error: try again."},
	"err_demo_kind":              {"Tipo de llamada de prueba desconocido.", "Unknown kind of test call."},
}

func init() {
	for k, v := range caseFileMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}
